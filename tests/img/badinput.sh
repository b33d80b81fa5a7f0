#!/usr/bin/env bash
# Bad input (check's statuses as qemu-img's: issue 12): truncated files, header fields out of range, tables pointing past the end of the file
# or into metadata, undecodable compressed data, backing loops, a huge virtual size. Each must end in
# a clear one-line error that names the file (exit 1, or check's 2), never a crash (ASan in the
# quick pass) and never a hang.
. "$(dirname "$0")/lib.sh"

qemu-img create -q -f qcow2 good.qcow2 4M
qemu-io -c 'write -P 0x11 0 128k' good.qcow2 >/dev/null
qemu-img convert -c -O qcow2 good.qcow2 comp.qcow2

# poke FILE OFFSET FORMAT VALUE: write a big-endian field (struct format Q/I/H/B)
poke() { python3 -c "import struct,sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2],0)); f.write(struct.pack('>'+sys.argv[3], int(sys.argv[4],0)))" "$@"; }
mk() { cp good.qcow2 "$1"; }

mk version.qcow2; poke version.qcow2 4 I 4
mk cbits-big.qcow2; poke cbits-big.qcow2 20 I 30
mk cbits-small.qcow2; poke cbits-small.qcow2 20 I 8
mk l1-huge.qcow2; poke l1-huge.qcow2 36 I 0xffffffff
mk l1-small.qcow2; poke l1-small.qcow2 24 Q 0x100000000000
mk size-huge.qcow2; poke size-huge.qcow2 24 Q 0xffffffffffffffff
mk l1-unaligned.qcow2; poke l1-unaligned.qcow2 40 Q 0x30200
mk l1-past-eof.qcow2; poke l1-past-eof.qcow2 40 Q 0x7000000
mk rt-past-eof.qcow2; poke rt-past-eof.qcow2 48 Q 0x7000000
mk rt-zero.qcow2; poke rt-zero.qcow2 56 I 0
mk hdrlen.qcow2; poke hdrlen.qcow2 100 I 7
mk incompat.qcow2; poke incompat.qcow2 72 Q 0x100
mk refcount-order.qcow2; poke refcount-order.qcow2 96 I 7
mk snaps.qcow2; poke snaps.qcow2 60 I 100000
mk snaps-eof.qcow2; poke snaps-eof.qcow2 60 I 3; poke snaps-eof.qcow2 64 Q 0x7000000
mk backing-long.qcow2; poke backing-long.qcow2 8 Q 512; poke backing-long.qcow2 16 I 5000
mk crypt.qcow2; poke crypt.qcow2 32 I 1
# Tables: an L1 entry past the end, an L2 entry past the end, an L2 entry onto the header,
# a refcount table entry past the end.
mk l2-past-eof.qcow2; poke l2-past-eof.qcow2 0x30000 Q 0x8000000007000000
mk data-past-eof.qcow2; poke data-past-eof.qcow2 0x40000 Q 0x8000000007000000
mk data-on-header.qcow2; poke data-on-header.qcow2 0x40000 Q 0x8000000000000000
mk rb-past-eof.qcow2; poke rb-past-eof.qcow2 0x10000 Q 0x7000000
# Compressed data that does not inflate.
cp comp.qcow2 comp-bad.qcow2
off=$(qemu-img map --output=json comp.qcow2 >/dev/null 2>&1; python3 -c "
import struct; f=open('comp.qcow2','rb'); f.seek(40); l1=struct.unpack('>Q',f.read(8))[0]; f.seek(l1); l2=struct.unpack('>Q',f.read(8))[0]&0x00fffffffffffe00
f.seek(l2); e=struct.unpack('>Q',f.read(8))[0]; print(e & ((1<<54)-1))")
dd if=/dev/urandom of=comp-bad.qcow2 bs=1 seek="$off" count=64 conv=notrunc 2>/dev/null
# Truncated files.
head -c 50 good.qcow2 >trunc-50.qcow2
head -c 100 good.qcow2 >trunc-100.qcow2
head -c 70000 good.qcow2 >trunc-70000.qcow2
head -c 200000 good.qcow2 >trunc-200000.qcow2
# Backing loops: itself, and a cycle of two.
"$VMON" img create -q -f qcow2 -u -b self.qcow2 -F qcow2 self.qcow2 1M
"$VMON" img create -q -f qcow2 -u -b loop-b.qcow2 -F qcow2 loop-a.qcow2 1M
"$VMON" img create -q -f qcow2 -u -b loop-a.qcow2 -F qcow2 loop-b.qcow2 1M
qemu-img create -q -f qcow2 -u -b missing.qcow2 -F qcow2 nobacking.qcow2 1M

one_line_error() {   # image, subcommand...: fails with exactly one line naming the image
    local img=$1; shift
    timeout 20 "$VMON" img "$@" >out.txt 2>err.txt
    local rc=$?
    if [ $rc -ge 124 ] || [ $rc -eq 0 ]; then
        echo "FAIL: vmon img $* on $img: exit $rc"; cat err.txt; fail=1; return
    fi
    if [ "$(wc -l <err.txt)" -ne 1 ] || ! grep -q "$img" err.txt; then
        echo "FAIL: vmon img $* on $img: error is not one line naming the file:"; cat err.txt; fail=1; return
    fi
    echo "ok   $img ($*): $(cat err.txt)"
}
no_crash() {         # image, subcommand...: any exit status but a crash or a hang
    local img=$1; shift
    timeout 20 "$VMON" img "$@" >out.txt 2>err.txt
    local rc=$?
    if [ $rc -ge 124 ] || grep -q Sanitizer err.txt; then
        echo "FAIL: vmon img $* on $img: exit $rc"; tail -5 err.txt; fail=1
    fi
}

for f in version cbits-big cbits-small l1-huge l1-small size-huge l1-unaligned l1-past-eof rt-past-eof rt-zero \
         hdrlen incompat refcount-order snaps snaps-eof backing-long crypt rb-past-eof \
         trunc-50 trunc-100 trunc-70000 self loop-a nobacking; do
    one_line_error "$f.qcow2" info "$f.qcow2"
    one_line_error "$f.qcow2" convert -O raw "$f.qcow2" out.raw
done
for f in l2-past-eof data-past-eof comp-bad trunc-200000; do
    "$VMON" img info "$f.qcow2" >/dev/null 2>&1 || { echo "FAIL: info $f.qcow2 should open"; fail=1; }
    one_line_error "$f.qcow2" convert -O raw "$f.qcow2" out.raw
done
# An L2 entry with offset 0 is unallocated whatever its flags (QEMU's rule): reads as zeros.
"$VMON" img convert -O raw data-on-header.qcow2 out.raw || { echo "FAIL: convert data-on-header.qcow2"; fail=1; }
# check opens what qemu-img check opens and exits with its status (0/1/2/3), on every hostile image.
# (Not the backing loops: qemu-img check 7.2 never ends on them; vmon's check exits 1, see above.)
for f in *.qcow2; do
    case $f in self.qcow2|loop-?.qcow2) continue;; esac
    timeout 20 "$VMON" img check "$f" >/dev/null 2>&1; rc=$?
    qemu-img check "$f" >/dev/null 2>&1; q=$?
    [ "$rc" = "$q" ] || { echo "FAIL: check $f exit $rc, qemu-img check $q"; fail=1; }
done
# Writing into a damaged image must not make things worse or crash.
for f in l2-past-eof data-past-eof data-on-header comp-bad; do
    no_crash "$f.qcow2" convert -n -O qcow2 good.qcow2 "$f.qcow2"
done
for f in *.qcow2; do no_crash "$f" check "$f"; no_crash "$f" map "$f"; done

# A huge but valid virtual size (2^55 bytes with 2 MiB clusters): opens, reads, writes at the end.
qemu-img create -q -f qcow2 -o cluster_size=2M huge.qcow2 32P
"$VMON" img info huge.qcow2 | grep -q "virtual size: 32 PiB" || { echo "FAIL: huge image info"; fail=1; }
qemu-io -c 'write -P 9 36028797018898432 64k' huge.qcow2 >/dev/null
"$VMON" img check huge.qcow2 >/dev/null || { echo "FAIL: huge image check"; fail=1; }
"$VMON" img map --output=json huge.qcow2 | grep -q '"offset"' || { echo "FAIL: huge image map"; fail=1; }
[ $fail -eq 0 ] && echo "bad input: all rejected cleanly"
exit $fail
