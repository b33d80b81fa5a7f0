#!/usr/bin/env bash
# A Linux guest with a virtio-mmio disk, virtio-serial (a virtconsole on a file chardev) and vsock
# saved and restored under the software CPU (issue 18). Debian's cloud kernel writes a line to
# /dev/hvc0, writes 64 KiB to the virtio-mmio disk, leaves a vsock listener on port 1234 running,
# says SAVE-NOW and sleeps; the host stops the VM, saves it (QMP x-vmon-save-state) and ends that
# vmon. A second vmon --restore's the file (its chardev on another file, its vsock on the same Unix
# socket path): the guest wakes, writes another line to /dev/hvc0 (it must land in the new file),
# writes and reads back the disk, the host connects to the listener that was open across the save
# (the restore's transport reset leaves listeners alone) and the guest connects to the host (CID 2)
# over a new connection.
set -u
. "$(dirname "$0")/../linux/lib.sh"
. "$(dirname "$0")/lib-save.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
if ! gzip -dc "$INITRD" | cpio -t 2>/dev/null | grep -qx bin/vsock-tool; then
    echo "skip: $INITRD has no /bin/vsock-tool (rerun scripts/fetch-guest.sh)"
    exit 77
fi
disk=$TMPD/disk.raw
uds=$TMPD/v.sock
host=tests/linux/vdev_host.py
head -c $((4 << 20)) /dev/urandom > "$disk"
guest_cmd='echo HVC-BEFORE > /dev/hvc0
echo RSUM $(dd if=/dev/vda bs=4096 count=64 2>/dev/null | sha1sum)
head -c 65536 /dev/urandom > /tmp/a
dd if=/tmp/a of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; echo A-RC $?
echo ASUM $(sha1sum < /tmp/a)
timeout 200 vsock-tool listen 1234 > /tmp/listen.out 2>&1 &
sleep 1
echo SAVE-NOW
sleep 3
echo AFTER-SLEEP
echo HVC-AFTER > /dev/hvc0
head -c 65536 /dev/urandom > /tmp/b
dd if=/tmp/b of=/dev/vda bs=4096 seek=512 conv=fsync 2>/dev/null; echo B-RC $?
echo BSUM $(sha1sum < /tmp/b)
sync; echo 3 > /proc/sys/vm/drop_caches
echo ABACK $(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha1sum)
echo BBACK $(dd if=/dev/vda bs=4096 skip=512 count=16 2>/dev/null | sha1sum)
wait
sed "s/^/LISTENER /" /tmp/listen.out
timeout 120 vsock-tool connect 2 5000 guest-to-host'
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs=4096 skip="$2" count="$3" 2>/dev/null | sha1sum | cut -d' ' -f1; }
devs() {   # devs HVC-FILE: the devices, the virtconsole's chardev on HVC-FILE
    echo --drive "file=$disk,format=raw,if=virtio-mmio" -device virtio-serial-pci \
        -chardev "file,id=c0,path=$1" -device virtconsole,chardev=c0 \
        -device "vhost-vsock-pci,guest-cid=3,uds=$uds"
}

a=$TMPD/a.log
# shellcheck disable=SC2046
"$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" $(devs "$TMPD/hvc-a") \
    -qmp "unix:$TMPD/q.sock,server,wait=off" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")" </dev/null >"$a" 2>"$a.err" &
VMON_PID=$!
wait_for "$a" '^SAVE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$a"; cat "$a.err"; fail "the guest never got to SAVE-NOW"; }
[ "$(field "$a" RSUM)" = "$(host_sum "$disk" 0 64)" ] || fail "the guest read other bytes from the virtio-mmio disk"
expect_line "$a" '^A-RC 0' "the guest reads and writes its virtio-mmio disk"
grep -q '^HVC-BEFORE' "$TMPD/hvc-a" || fail "the hvc0 line is not in the file chardev"
ok "a line on /dev/hvc0 reached the file chardev"
save_and_quit "$a" " (virtio-mmio disk, virtio-serial and vsock in the file)"

TIMEOUT=$BOOT_TIMEOUT python3 "$host" vsock-out "$uds" 5000 > "$TMPD/out.out" 2>&1 &
p2=$!
TIMEOUT=$BOOT_TIMEOUT python3 "$host" vsock-in "$uds" 1234 > "$TMPD/in.out" 2>&1 &
p3=$!
b=$TMPD/b.log
# shellcheck disable=SC2046
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --mem 256M $(devs "$TMPD/hvc-b") \
    --restore "$TMPD/state" </dev/null >"$b" 2>"$b.err"
rc=$?
for p in $p2 $p3; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
done
[ $rc -eq 0 ] || { tail -20 "$b"; cat "$b.err"; fail "the restored vmon exited $rc, want 0 (poweroff)"; }
expect_line "$b" '^AFTER-SLEEP' "the restored guest wakes from its sleep"
grep -q '^HVC-AFTER' "$TMPD/hvc-b" || fail "after the restore the hvc0 line is not in the new file chardev: $(cat "$TMPD/hvc-b")"
ok "after the restore a line on /dev/hvc0 reaches the restored vmon's file chardev"
expect_line "$b" '^B-RC 0' "the restored guest writes its virtio-mmio disk"
[ "$(field "$a" ASUM)" = "$(field "$b" ABACK)" ] || fail "the first write reads back as $(field "$b" ABACK)"
[ "$(field "$b" BSUM)" = "$(field "$b" BBACK)" ] || fail "the second write reads back as $(field "$b" BBACK)"
[ "$(field "$b" BSUM)" = "$(host_sum "$disk" 512 16)" ] || fail "the second write is not in the image"
ok "both writes read back in the guest and the second is in the image"
grep -q '^HOST-REPLY PONG host-to-guest' "$TMPD/in.out" || { cat "$TMPD/in.out"; fail "the host could not reach the listener open across the save"; }
expect_line "$b" '^LISTENER GOT host-to-guest' "the vsock listener open across the save took the host's connection"
grep -q '^HOST-GOT guest-to-host' "$TMPD/out.out" || { cat "$TMPD/out.out"; fail "guest->host vsock after the restore"; }
expect_line "$b" '^REPLY HOST-PONG guest-to-host' "after the restore the guest connects to the host over vsock"
