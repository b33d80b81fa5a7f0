#!/usr/bin/env bash
# A Linux guest with a qcow2 virtio-blk disk saved with savevm and started again with -loadvm under
# the software CPU (issue 18): Debian's cloud kernel writes 64 KiB (A) to the disk, says SAVE-NOW and
# sleeps; the host runs HMP savevm s1 and lets it go on: it reads block range B past the page cache
# (zeros), writes B and powers off. A fresh vmon with -loadvm s1 wakes the guest from its sleep with
# the disk as it was at the save: range B reads as zeros again (the disk was reverted), the guest
# writes a new B and reads A and B back; the image holds A and the new B, qemu-img check is clean and
# qemu-img snapshot -l lists s1 with its VM state.
set -u
. "$(dirname "$0")/../linux/lib.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
q=$TMPD/disk.qcow2
"$VMON" img create -f qcow2 "$q" 8M >/dev/null || fail "vmon img create"
guest_cmd='head -c 65536 /dev/urandom > /tmp/a
dd if=/tmp/a of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; echo A-RC $?
echo ASUM $(sha1sum < /tmp/a)
echo SAVE-NOW
sleep 3
echo AFTER-SLEEP
echo BBEFORE $(dd if=/dev/vda bs=4096 skip=512 count=16 iflag=direct 2>/dev/null | sha1sum)
head -c 65536 /dev/urandom > /tmp/b
dd if=/tmp/b of=/dev/vda bs=4096 seek=512 conv=fsync 2>/dev/null; echo B-RC $?
echo BSUM $(sha1sum < /tmp/b)
sync; echo 3 > /proc/sys/vm/drop_caches
echo ABACK $(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha1sum)
echo BBACK $(dd if=/dev/vda bs=4096 skip=512 count=16 2>/dev/null | sha1sum)'
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs=4096 skip="$2" count="$3" 2>/dev/null | sha1sum | cut -d' ' -f1; }
zeros=$(head -c 65536 /dev/zero | sha1sum | cut -d' ' -f1)
args="console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")"

a=$TMPD/a.log
"$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" \
    --drive "file=$q,format=qcow2,if=virtio" -qmp "unix:$TMPD/q.sock,server,wait=off" \
    --append "$args" </dev/null >"$a" 2>"$a.err" &
VMON_PID=$!
wait_for "$a" '^SAVE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$a"; cat "$a.err"; fail "the guest never got to SAVE-NOW"; }
python3 - "$here" "$TMPD/q.sock" "$a" <<'P' || fail "savevm over QMP"
import sys
sys.path.insert(0, sys.argv[1])
from snap import Qmp
q = Qmp(sys.argv[2])
assert "return" in q.cmd("stop")
r = q.cmd("human-monitor-command", {"command-line": "savevm s1"})
assert r == {"return": ""}, r
if b"AFTER-SLEEP" in open(sys.argv[3], "rb").read():
    sys.exit("the guest woke before the save (sleep too short for this machine?)")
assert "return" in q.cmd("cont")
P
wait "$VMON_PID"
rc=$?
VMON_PID=
[ $rc -eq 0 ] || { tail -20 "$a"; cat "$a.err"; fail "the saved vmon exited $rc, want 0 (poweroff)"; }
[ "$(field "$a" BBEFORE)" = "$zeros" ] || fail "range B was not zeros before the first run wrote it"
ok "savevm s1 while the guest sleeps after its first write; it went on, wrote B and powered off"

b=$TMPD/b.log
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" \
    --drive "file=$q,format=qcow2,if=virtio" --append "$args" -loadvm s1 </dev/null >"$b" 2>"$b.err"
rc=$?
[ $rc -eq 0 ] || { tail -20 "$b"; cat "$b.err"; fail "the -loadvm vmon exited $rc, want 0 (poweroff)"; }
grep -q '^SAVE-NOW' "$b" && fail "the -loadvm guest booted again instead of going on"
expect_line "$b" '^AFTER-SLEEP' "-loadvm s1: the guest wakes from its sleep"
[ "$(field "$b" BBEFORE)" = "$zeros" ] || fail "range B reads $(field "$b" BBEFORE), not zeros: the disk was not reverted"
ok "range B reads as zeros again: the disk went back to the snapshot"
[ "$(field "$a" ASUM)" = "$(field "$b" ABACK)" ] || fail "write A reads back as $(field "$b" ABACK)"
[ "$(field "$b" BSUM)" = "$(field "$b" BBACK)" ] || fail "the new write B reads back as $(field "$b" BBACK)"
ok "A and the new B read back in the guest"
"$VMON" img convert -O raw "$q" "$TMPD/q.raw" || fail "vmon img convert"
[ "$(field "$a" ASUM)" = "$(host_sum "$TMPD/q.raw" 256 16)" ] || fail "A is not in the image"
[ "$(field "$b" BSUM)" = "$(host_sum "$TMPD/q.raw" 512 16)" ] || fail "the new B is not in the image"
ok "A and the new B are in the image"
if command -v qemu-img >/dev/null; then
    qemu-img check "$q" >/dev/null || fail "qemu-img check: $(qemu-img check "$q" 2>&1)"
    qemu-img snapshot -l "$q" | grep -qE "^1 +s1 +[0-9.]+ MiB" || fail "qemu-img snapshot -l: $(qemu-img snapshot -l "$q")"
    ok "qemu-img check clean; qemu-img snapshot -l lists s1 with its VM state"
fi
