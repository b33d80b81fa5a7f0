#!/usr/bin/env bash
# virtio-blk-pci under Debian 12's cloud kernel (issue 13): the initramfs loads virtio, virtio_ring,
# virtio_pci and virtio_blk (scripts/fetch-guest.sh puts them there in dependency order); the guest
# reads and writes /dev/vda with busybox dd and sha1sum, and the host checks the image:
#   raw       the guest's sha1 of the first MiB matches the host's, its write lands at the offset
#   qcow2     an image from vmon img create: written, read back, qemu-img check clean, the bytes
#             read back by vmon img convert and qemu-img convert
#   readonly  readonly=on: the write fails in the guest and the image is unchanged
#   probed    no format=: QEMU's warning, a plain write to sector 0 lands, a qcow2 header there fails
#             in the guest and the sector keeps the plain write (the block layer's guard, as QEMU's)
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
MiB=1048576

# The guest: sha1 of the disk's first MiB, then 64 KiB of random bytes written at 1 MiB (their
# sha1 printed), caches dropped, and the same range read back from the device.
guest_cmd='echo RSUM $(dd if=/dev/vda bs=4096 count=256 2>/dev/null | sha1sum)
head -c 65536 /dev/urandom > /tmp/w
echo WSUM $(sha1sum < /tmp/w)
dd if=/tmp/w of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; echo WRITE-RC $?
sync; echo 3 > /proc/sys/vm/drop_caches
echo BACK $(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha1sum)
cat /sys/block/vda/size /sys/block/vda/ro; cat /proc/interrupts | grep virtio'
field() { sed -n "s/^$1 \([0-9a-f]*\).*/\1/p" "$log" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs=4096 skip="$2" count="$3" 2>/dev/null | sha1sum | cut -d' ' -f1; }

run_guest() {   # run_guest DRIVE-OPTIONS
    boot "$log" --kernel "$KERNEL" --initrd "$INITRD" --drive "$1" \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")"
    expect_booted "$log"
    expect_line "$log" 'virtio' "the guest's virtio interrupt is listed"
}

# raw: a 4 MiB image of random bytes.
raw=$TMPD/disk.raw
head -c $((4 * MiB)) /dev/urandom > "$raw"
first=$(host_sum "$raw" 0 256)
run_guest "file=$raw,format=raw,if=virtio"
[ "$(field RSUM)" = "$first" ] || fail "raw: guest read $(field RSUM), host has $first"
ok "raw: the guest reads the image's first MiB"
[ "$(field WSUM)" = "$(field BACK)" ] || fail "raw: read back $(field BACK), wrote $(field WSUM)"
[ "$(field WSUM)" = "$(host_sum "$raw" 256 16)" ] || fail "raw: the write did not land at 1 MiB"
ok "raw: the guest's write landed at 1 MiB"
expect_line "$log" '^8192' "raw: 8192 sectors"

# qcow2, made by vmon img.
q=$TMPD/disk.qcow2
"$VMON" img create -f qcow2 "$q" 8M >/dev/null || fail "vmon img create"
run_guest "file=$q,format=qcow2,if=virtio"
[ "$(field RSUM)" = "$(head -c $MiB /dev/zero | sha1sum | cut -d' ' -f1)" ] ||
    fail "qcow2: a new image does not read as zeroes"
[ "$(field WSUM)" = "$(field BACK)" ] || fail "qcow2: read back $(field BACK), wrote $(field WSUM)"
ok "qcow2: written and read back"
"$VMON" img convert -O raw "$q" "$TMPD/q.raw" || fail "vmon img convert"
[ "$(field WSUM)" = "$(host_sum "$TMPD/q.raw" 256 16)" ] || fail "qcow2: the write is not in the image"
ok "qcow2: the write is in the image at 1 MiB"
if command -v qemu-img >/dev/null; then
    qemu-img check "$q" >/dev/null || fail "qcow2: qemu-img check: $(qemu-img check "$q" 2>&1)"
    ok "qcow2: qemu-img check clean"
    qemu-img convert -O raw "$q" "$TMPD/qq.raw" || fail "qemu-img convert"
    [ "$(field WSUM)" = "$(host_sum "$TMPD/qq.raw" 256 16)" ] || fail "qcow2: qemu-img reads other bytes"
    ok "qcow2: qemu-img reads the guest's bytes"
fi

# readonly=on: the guest's write fails, the image keeps its bytes.
before=$(sha1sum < "$raw")
run_guest "file=$raw,format=raw,if=virtio,readonly=on"
expect_line "$log" '^WRITE-RC [1-9]' "readonly: the guest's write fails"
[ "$(sha1sum < "$raw")" = "$before" ] || fail "readonly: the image changed"
ok "readonly: the image is unchanged"
before=$(sha1sum < "$raw")

# Probed raw: the guard on sector 0 holds for virtio-blk as for IDE (ide.sh).
p0_cmd='echo vmon-s0 | dd of=/dev/vda bs=512 conv=sync,fsync 2>/dev/null; echo S0 $?
printf "QFI\373\0\0\0\003" | dd of=/dev/vda bs=512 conv=sync,fsync 2>/dev/null; echo QCOW $?'
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" --drive "file=$raw,if=virtio" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$p0_cmd")"
expect_booted "$log"
grep -q "probing guessed raw" "$log.err" || fail "probed raw: no warning: $(cat "$log.err")"
expect_line "$log" '^S0 0' "probed raw: a plain write to sector 0 passes"
expect_line "$log" '^QCOW [1-9]' "probed raw: a qcow2 header to sector 0 fails in the guest"
head -c 7 "$raw" | grep -qa vmon-s0 || fail "probed raw: sector 0 lost the plain write"
ok "probed raw: sector 0 keeps the plain write"
before=$(sha1sum < "$raw")

# A second writer on an image in use is refused with QEMU's lock message (block/lock.c), exit 2.
# (A fresh log: the background redirection may happen after wait_for first looks.)
log=$TMPD/first
: > "$log"
"$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --drive "file=$raw,format=raw,if=virtio" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 'sleep 60')" </dev/null >"$log" 2>&1 &
VMON_PID=$!
wait_for "$log" '^VMON-GUEST-READY' "$BOOT_TIMEOUT" || fail "the first vmon did not boot"
timeout -k 5 30 "$VMON" run --accel soft --kernel "$KERNEL" --drive "file=$raw,format=raw,if=virtio" \
    </dev/null >"$TMPD/second" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "the second writer exited $rc, want 2: $(cat "$TMPD/second")"
grep -q 'Failed to get "write" lock' "$TMPD/second" || fail "no lock message: $(cat "$TMPD/second")"
ok "a second writer is refused: $(head -n1 "$TMPD/second")"
kill "$VMON_PID"
wait "$VMON_PID" 2>/dev/null
VMON_PID=
[ "$(sha1sum < "$raw")" = "$before" ] || fail "the refused writer changed the image"
