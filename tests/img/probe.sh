#!/usr/bin/env bash
# Format probing (issue 12): an image in a format qemu-img 7.2 knows but vmon does not read is
# refused in one line naming the format, never read as raw; the foreign formats vmon reads (issue 19:
# vmdk sparse and descriptor, vdi, vpc, vhdx) are probed as qemu-img probes them; a directory, FIFO or device node is
# refused (without blocking on the FIFO). qemu-img names the same format for each file.
. "$(dirname "$0")/lib.sh"

for f in qcow qed vmdk vdi vpc vhdx parallels; do
    qemu-img create -q -f $f x.$f 1G || bad "qemu-img create -f $f"
done
qemu-img create -q -f vmdk -o subformat=monolithicFlat flat.vmdk 1M      # a text descriptor
mv flat.vmdk x.vmdk-desc
# LUKS: qemu-img times its PBKDF on the thread's CPU clock first and gives up ("Unable to get accurate
# CPU usage") when a loaded host lets that clock read no progress; a few tries.
for try in 1 2 3 4 5; do
    qemu-img create -q --object secret,id=s0,data=pw -f luks -o key-secret=s0,iter-time=10 x.luks 1M && break
done
python3 - <<'PY'
import struct
h = bytearray(512)
h[0:23] = b"Bochs Virtual HD Image\0"; h[32:40] = b"Redolog\0"; h[48:56] = b"Growing\0"
h[64:68] = struct.pack("<I", 0x20000)
open("x.bochs", "wb").write(h)
open("x.cloop", "wb").write(b"#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n" + bytes(400))
open("x.dmg", "wb").write(bytes(4096))
PY
for f in x.vmdk x.vmdk-desc x.vdi x.vpc x.vhdx; do
    want=${f#x.}; want=${want%-desc}
    "$VMON" img info "$f" >out.txt 2>err.txt || bad "vmon img info $f: $(cat err.txt)"
    grep -q "^file format: $want$" out.txt || bad "vmon probes $f as $(grep 'file format' out.txt)"
done
for f in x.qcow x.qed x.parallels x.luks x.bochs x.cloop x.dmg; do
    want=${f#x.}; want=${want%-desc}
    q=$(qemu-img info --output=json "$f" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])' 2>/dev/null)
    [ -z "$q" ] || [ "$q" = "$want" ] || bad "qemu-img calls $f $q"
    "$VMON" img info "$f" >out.txt 2>err.txt && bad "vmon img info $f succeeded: $(head -2 out.txt)"
    [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "'$f'.*format '$want' is not supported by vmon" err.txt ||
        bad "info $f: $(cat err.txt)"
    rm -f y.raw
    "$VMON" img convert -O raw "$f" y.raw 2>/dev/null && bad "vmon img convert $f succeeded"
    [ -e y.raw ] && bad "convert of $f left y.raw"
done
# Asked for as raw, any file is raw (as qemu-img -f raw).
"$VMON" img info -f raw x.vmdk | grep -q "file format: raw" || bad "info -f raw x.vmdk"
# qcow2 is still qcow2, also when named .dmg.
qemu-img create -q -f qcow2 q.dmg 1M
"$VMON" img info q.dmg | grep -q "file format: qcow2" || bad "qcow2 named .dmg"

# Not images: a directory, a FIFO (must not block), a character device.
mkdir d; mkfifo p
for f in d p /dev/null; do
    timeout 10 "$VMON" img info "$f" >/dev/null 2>err.txt; rc=$?
    [ $rc -eq 1 ] && grep -q "'file' driver requires '$f' to be a regular file" err.txt || bad "info $f: exit $rc, $(cat err.txt)"
done
timeout 10 "$VMON" img convert -O raw d y.raw 2>/dev/null && bad "convert of a directory"
timeout 10 "$VMON" img create -q -f qcow2 d 1M 2>/dev/null && bad "create over a directory"
[ $fail -eq 0 ] && echo "probe: all passed"
exit $fail
