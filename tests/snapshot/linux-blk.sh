#!/usr/bin/env bash
# A Linux guest with a virtio-blk disk saved and restored under the software CPU (issue 18): Debian's
# cloud kernel writes 64 KiB to a qcow2 disk, says SAVE-NOW and sleeps; the host stops the VM, saves
# it (QMP x-vmon-save-state) and ends that vmon. A second vmon --restore's the file over the same
# image: the guest wakes from its sleep (timers and the disk's queues restored), writes another
# 64 KiB, reads both back past the page cache and powers off. Both writes must be in the image, read
# back by vmon img convert, and qemu-img check (where installed) must find it clean.
set -u
. "$(dirname "$0")/../linux/lib.sh"
. "$(dirname "$0")/lib-save.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
q=$TMPD/disk.qcow2
"$VMON" img create -f qcow2 "$q" 8M >/dev/null || fail "vmon img create"
guest_cmd='head -c 65536 /dev/urandom > /tmp/a
dd if=/tmp/a of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; echo A-RC $?
echo ASUM $(sha1sum < /tmp/a)
echo SAVE-NOW
sleep 3
echo AFTER-SLEEP
head -c 65536 /dev/urandom > /tmp/b
dd if=/tmp/b of=/dev/vda bs=4096 seek=512 conv=fsync 2>/dev/null; echo B-RC $?
echo BSUM $(sha1sum < /tmp/b)
sync; echo 3 > /proc/sys/vm/drop_caches
echo ABACK $(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha1sum)
echo BBACK $(dd if=/dev/vda bs=4096 skip=512 count=16 2>/dev/null | sha1sum)'
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs=4096 skip="$2" count="$3" 2>/dev/null | sha1sum | cut -d' ' -f1; }

a=$TMPD/a.log
"$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" \
    --drive "file=$q,format=qcow2,if=virtio" -qmp "unix:$TMPD/q.sock,server,wait=off" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")" </dev/null >"$a" 2>"$a.err" &
VMON_PID=$!
wait_for "$a" '^SAVE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$a"; cat "$a.err"; fail "the guest never got to SAVE-NOW"; }
save_and_quit "$a" " after its first write"

b=$TMPD/b.log
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --mem 256M --drive "file=$q,format=qcow2,if=virtio" \
    --restore "$TMPD/state" </dev/null >"$b" 2>"$b.err"
rc=$?
[ $rc -eq 0 ] || { tail -20 "$b"; cat "$b.err"; fail "the restored vmon exited $rc, want 0 (poweroff)"; }
expect_line "$b" '^AFTER-SLEEP' "the restored guest wakes from its sleep"
expect_line "$b" '^B-RC 0' "and writes to its disk"
[ "$(field "$a" ASUM)" = "$(field "$b" ABACK)" ] || fail "the first write reads back as $(field "$b" ABACK)"
[ "$(field "$b" BSUM)" = "$(field "$b" BBACK)" ] || fail "the second write reads back as $(field "$b" BBACK)"
ok "both writes read back in the guest after the restore"
"$VMON" img convert -O raw "$q" "$TMPD/q.raw" || fail "vmon img convert"
[ "$(field "$a" ASUM)" = "$(host_sum "$TMPD/q.raw" 256 16)" ] || fail "the first write is not in the image"
[ "$(field "$b" BSUM)" = "$(host_sum "$TMPD/q.raw" 512 16)" ] || fail "the second write is not in the image"
ok "both writes are in the image"
if command -v qemu-img >/dev/null; then
    qemu-img check "$q" >/dev/null || fail "qemu-img check: $(qemu-img check "$q" 2>&1)"
    ok "qemu-img check clean"
fi
"$VMON" img check "$q" >/dev/null || fail "vmon img check: $("$VMON" img check "$q" 2>&1)"
ok "vmon img check clean"
