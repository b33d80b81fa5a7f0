#!/usr/bin/env bash
# A guest file system on virtio-blk under Debian 12's cloud kernel (issue 13): an ext4 image made
# on the host (mke2fs -d from e2fsprogs), converted to qcow2 by vmon img, under a qcow2 overlay
# with it as backing file. The guest mounts /dev/vda, writes files, syncs, unmounts, powers off;
# the host checks the overlay with qemu-img check and reads the files back with debugfs from a
# raw conversion, and the base is untouched:
#   1 vCPU    --drive, vmon's spelling; a split ring with event idx
#   2 vCPUs   QEMU's -drive if=none + -device virtio-blk-pci,drive=,num-queues=2,packed=on: two
#             request queues (two blk-mq hardware queues in sysfs), packed ring and event idx
#             negotiated (the virtio features in sysfs)
#   flush     the guest syncs, then vmon is killed (SIGKILL, before poweroff): what the flush
#             covered is in the image (qcow2 metadata included)
#   snapshot  -snapshot: the guest writes, the image is byte-for-byte unchanged afterwards
#   discard   raw and qcow2 images (two disks), discard=unmap: rm + fstrim in the guest; the raw
#             file's allocation shrinks, the qcow2's allocated clusters drop (qemu-img check clean)
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
for t in mke2fs debugfs; do
    command -v $t >/dev/null || { echo "skip: $t missing (apt-get install e2fsprogs)"; exit 77; }
done
MiB=1048576
log=$TMPD/serial

# The base: 64 MiB of ext4 holding /seed/hello (and 16 MiB of random bytes for the discard run).
mkdir -p "$TMPD/root/seed"
echo "seeded on the host" > "$TMPD/root/seed/hello"
mke2fs -q -F -t ext4 -b 4096 -E nodiscard -d "$TMPD/root" "$TMPD/base.raw" 64M >/dev/null || fail "mke2fs"
"$VMON" img convert -O qcow2 "$TMPD/base.raw" "$TMPD/base.qcow2" || fail "vmon img convert"
base_sum=$(sha1sum < "$TMPD/base.qcow2")
overlay() {   # overlay NAME: a fresh qcow2 over base.qcow2
    "$VMON" img create -f qcow2 -b "$TMPD/base.qcow2" -F qcow2 "$TMPD/$1" >/dev/null ||
        fail "vmon img create -b"
}

# mount, show the seed, write TAG's files, sync, report what the guest sees, unmount.
guest_cmd() {
    printf '%s\n' "mkdir -p /mnt && mount -t ext4 /dev/vda /mnt || exit 1
echo SEED \$(cat /mnt/seed/hello)
echo \"written by the guest: $1\" > /mnt/$1.txt
head -c 3000000 /dev/urandom > /mnt/$1.bin
echo BINSUM \$(sha1sum < /mnt/$1.bin)
sync
echo FEATURES \$(cat /sys/bus/virtio/devices/*/features)
echo HWQUEUES \$(ls /sys/block/vda/mq | wc -l)
echo CPUS \$(nproc)
grep virtio /proc/interrupts
$2
umount /mnt && echo UMOUNTED"
}
field() { sed -n "s/^$1 \([^ ]*\).*/\1/p" "$log" | tr -d '\r' | head -n1; }

# host_check IMAGE TAG: qemu-img check clean, the guest's files read back by debugfs.
host_check() {
    if command -v qemu-img >/dev/null; then
        qemu-img check "$1" >/dev/null 2>&1 || fail "$2: qemu-img check: $(qemu-img check "$1" 2>&1)"
        ok "$2: qemu-img check clean"
    fi
    "$VMON" img convert -O raw "$1" "$TMPD/check.raw" || fail "$2: vmon img convert"
    debugfs -R "cat /$2.txt" "$TMPD/check.raw" 2>/dev/null | grep -q "written by the guest: $2" ||
        fail "$2: debugfs does not find /$2.txt"
    local sum
    sum=$(debugfs -R "cat /$2.bin" "$TMPD/check.raw" 2>/dev/null | sha1sum | cut -d' ' -f1)
    [ "$sum" = "$(field BINSUM)" ] || fail "$2: /$2.bin on the host is $sum, the guest wrote $(field BINSUM)"
    debugfs -R "cat /seed/hello" "$TMPD/check.raw" 2>/dev/null | grep -q "seeded on the host" ||
        fail "$2: the seed file is gone"
    ok "$2: debugfs reads the guest's files from the image"
    rm -f "$TMPD/check.raw"
}

# feature N: bit N of the virtio features the guest negotiated (sysfs: one character per bit).
feature() { field FEATURES | cut -c$(( $1 + 1 )); }

expect_guest() {   # expect_guest TAG
    expect_booted "$log"
    expect_line "$log" '^SEED seeded' "$1: the guest reads the host's seed file (backing chain)"
    expect_line "$log" '^UMOUNTED' "$1: the guest unmounted cleanly"
}

# 1 vCPU, vmon's spelling.
overlay one.qcow2
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" --drive "file=$TMPD/one.qcow2,format=qcow2,if=virtio" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(guest_cmd one '')")"
expect_guest one
[ "$(feature 29)" = 1 ] || fail "one: event idx not negotiated ($(field FEATURES))"
[ "$(feature 34)" = 0 ] || fail "one: packed ring negotiated without packed=on"
ok "one: split ring with event idx"
host_check "$TMPD/one.qcow2" one

# 2 vCPUs, QEMU's spelling, two queues, packed ring.
overlay two.qcow2
boot "$log" -kernel "$KERNEL" -initrd "$INITRD" -smp 2 -machine pc \
    -drive "file=$TMPD/two.qcow2,format=qcow2,if=none,id=disk0" \
    -device virtio-blk-pci,drive=disk0,num-queues=2,packed=on \
    -append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(guest_cmd two '')")"
expect_guest two
[ "$(field CPUS)" = 2 ] || fail "two: the guest sees $(field CPUS) CPUs"
[ "$(field HWQUEUES)" = 2 ] || fail "two: $(field HWQUEUES) blk-mq queues, want 2"
ok "two: 2 vCPUs, 2 request queues"
[ "$(feature 34)" = 1 ] && [ "$(feature 29)" = 1 ] || fail "two: packed/event idx not negotiated ($(field FEATURES))"
ok "two: packed ring with event idx"
host_check "$TMPD/two.qcow2" two
[ "$(sha1sum < "$TMPD/base.qcow2")" = "$base_sum" ] || fail "the backing file changed"
ok "the backing file is unchanged"

# flush: the guest syncs and waits; vmon is killed before any poweroff or close.
overlay flush.qcow2
: > "$log"
"$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --drive "file=$TMPD/flush.qcow2,format=qcow2,if=virtio" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(guest_cmd flush 'echo SYNCED; sleep 600')")" \
    </dev/null >"$log" 2>&1 &
VMON_PID=$!
wait_for "$log" '^SYNCED' "$BOOT_TIMEOUT" || { tail -n 20 "$log"; fail "flush: the guest did not sync"; }
kill -9 "$VMON_PID"
wait "$VMON_PID" 2>/dev/null
VMON_PID=
ok "flush: vmon killed after the guest's sync"
# The file system was not unmounted, so its journal may need replaying: check on a raw copy.
"$VMON" img convert -O raw "$TMPD/flush.qcow2" "$TMPD/flush.raw" || fail "flush: vmon img convert"
e2fsck -fy "$TMPD/flush.raw" >/dev/null 2>&1
[ $? -le 1 ] || fail "flush: e2fsck finds errors it cannot fix"
debugfs -R "cat /flush.bin" "$TMPD/flush.raw" 2>/dev/null | sha1sum | grep -q "^$(field BINSUM) " ||
    fail "flush: the synced file is not in the image"
ok "flush: the synced file is in the image after SIGKILL"
if command -v qemu-img >/dev/null; then
    qemu-img check "$TMPD/flush.qcow2" >"$TMPD/qc" 2>&1
    grep -q "corrupt" "$TMPD/qc" && fail "flush: qemu-img check: $(cat "$TMPD/qc")"
    ok "flush: qemu-img check finds no corruption"
fi

# -snapshot: the guest's writes go to a temporary overlay.
overlay snap.qcow2
snap_sum=$(sha1sum < "$TMPD/snap.qcow2")
mkdir "$TMPD/snaptmp"
TMPDIR=$TMPD/snaptmp boot "$log" --kernel "$KERNEL" --initrd "$INITRD" -snapshot \
    --drive "file=$TMPD/snap.qcow2,format=qcow2,if=virtio" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(guest_cmd snap '')")"
expect_guest snap
[ "$(sha1sum < "$TMPD/snap.qcow2")" = "$snap_sum" ] || fail "snapshot: the image changed"
ok "snapshot: the image is unchanged"
[ -z "$(ls -A "$TMPD/snaptmp")" ] || fail "snapshot: the overlay is left in \$TMPDIR: $(ls "$TMPD/snaptmp")"
ok "snapshot: no overlay left behind"

# discard: raw and qcow2 ext4 images with 16 MiB of data, discard=unmap; rm and fstrim in the
# guest punch holes in the raw file and free the qcow2 clusters.
mkdir -p "$TMPD/droot"
head -c $((16 * MiB)) /dev/urandom > "$TMPD/droot/big"
mke2fs -q -F -t ext4 -b 4096 -E nodiscard -d "$TMPD/droot" "$TMPD/d.raw" 64M >/dev/null || fail "mke2fs"
"$VMON" img convert -O qcow2 "$TMPD/d.raw" "$TMPD/d.qcow2" || fail "vmon img convert"
allocated() { qemu-img check "$1" 2>/dev/null | sed -n 's|^\([0-9]*\)/[0-9]* = .*allocated.*|\1|p'; }
before=$(du -k "$TMPD/d.raw" | cut -f1)
command -v qemu-img >/dev/null && qbefore=$(allocated "$TMPD/d.qcow2")
trim='mkdir -p /mnt && mount -t ext4 /dev/$1 /mnt || exit 1; rm /mnt/big; sync; fstrim -v /mnt; umount /mnt'
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
    --drive "file=$TMPD/d.raw,format=raw,if=virtio,discard=unmap" \
    --drive "file=$TMPD/d.qcow2,format=qcow2,if=virtio,discard=unmap" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "t() { $trim; }; t vda && t vdb && echo TRIMMED")"
expect_booted "$log"
expect_line "$log" '^TRIMMED' "discard: fstrim ran on both disks and the guest unmounted them"
after=$(du -k "$TMPD/d.raw" | cut -f1)
[ "$after" -lt $((before - 12 * 1024)) ] || fail "discard: the image holds ${after} KiB, ${before} KiB before"
ok "discard: the raw image's allocation went from ${before} KiB to ${after} KiB"
if command -v qemu-img >/dev/null; then
    qemu-img check "$TMPD/d.qcow2" >/dev/null 2>&1 || fail "discard: qemu-img check: $(qemu-img check "$TMPD/d.qcow2" 2>&1)"
    qafter=$(allocated "$TMPD/d.qcow2")
    [ "$qafter" -lt $((qbefore - 192)) ] || fail "discard: qcow2 clusters allocated: $qafter, $qbefore before"
    ok "discard: qcow2 clusters allocated went from $qbefore to $qafter, qemu-img check clean"
fi
