# Shared by the virtio transport tests: boot Debian's cloud kernel with one virtio-blk disk, have
# the guest read the first MiB, write 64 KiB at 1 MiB and read it back past the page cache, and
# print its interrupts and the negotiated feature bits; then check the bytes on both sides.
# Sourced after lib.sh.
MiB=1048576
xfer_cmd='echo RSUM $(dd if=/dev/vda bs=4096 count=256 2>/dev/null | sha1sum)
head -c 65536 /dev/urandom > /tmp/w
echo WSUM $(sha1sum < /tmp/w)
dd if=/tmp/w of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; echo WRITE-RC $?
sync; echo 3 > /proc/sys/vm/drop_caches
echo BACK $(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha1sum)
echo FEATURES $(cat /sys/bus/virtio/devices/virtio0/features)
grep virtio /proc/interrupts | sed "s/^/IRQ /"'

field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs=4096 skip="$2" count="$3" 2>/dev/null | sha1sum | cut -d' ' -f1; }

# xfer WHAT LOG DRIVE-OPTIONS [APPEND...]: boot, then check the guest's I/O against the image.
# XFER_OPTS: more vmon options; XFER_MORE: more guest commands, run after the I/O.
XFER_OPTS=
XFER_MORE=
xfer() {
    local what=$1 log=$2 drive=$3
    shift 3
    local img=$TMPD/$what.raw
    head -c $((4 * MiB)) /dev/urandom > "$img"
    # shellcheck disable=SC2086
    boot "$log" $XFER_OPTS --kernel "$KERNEL" --initrd "$INITRD" --drive "file=$img,format=raw,$drive" \
        --append "console=ttyS0 quiet $* vmon.cmd64=$(cmd64 "$xfer_cmd
$XFER_MORE")"
    expect_booted "$log"
    [ "$(field "$log" RSUM)" = "$(host_sum "$img" 0 256)" ] || fail "$what: the guest read other bytes"
    [ -n "$(field "$log" WSUM)" ] && [ "$(field "$log" WSUM)" = "$(field "$log" BACK)" ] ||
        fail "$what: read back $(field "$log" BACK), wrote $(field "$log" WSUM)"
    [ "$(field "$log" WSUM)" = "$(host_sum "$img" 256 16)" ] || fail "$what: the write is not in the image"
    ok "$what: the guest reads the image, its write lands at 1 MiB and reads back"
}

# version1 LOG: the negotiated VIRTIO_F_VERSION_1 (bit 32 of the features string), 0 or 1.
version1() { sed -n 's/^FEATURES \([01]*\).*/\1/p' "$1" | tr -d '\r' | cut -c33; }
