#!/usr/bin/env bash
# Builds the Debian 12 (bookworm) disk image the BIOS firmware boot tests use (issue 15) into
# $BUILD/debian-disk/disk.qcow2 (cached: nothing is done when it exists; never committed), from the
# root file system tests/firmware/debian-root.sh makes (debootstrap; cached in $BUILD/debian-root).
# It is a plain BIOS PC disk, made without loop devices or mounts of the image:
#   - an MBR partition table (sfdisk on the image file): partition 1, FAT16 and active, holds SYSLINUX
#     (installed with mtools by `syslinux --install`, which needs no mount), the kernel and the
#     initramfs; partition 2 is the ext4 root image, spliced in with dd. Sector 0 is SYSLINUX's
#     mbr.bin, which boots the active partition.
# Then `vmon img convert -O qcow2`. Debian packages needed on the host: those of debian-root.sh and
# syslinux, syslinux-common, mtools, dosfstools, fdisk. Exit 77 with the reason when one is missing.
set -euo pipefail
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
OUT=$BUILD/debian-disk
ROOTFS=$BUILD/debian-root
[ -f "$OUT/disk.qcow2" ] && exit 0
for t in syslinux mcopy mkfs.fat sfdisk; do
    command -v $t >/dev/null || { echo "skip: $t missing (apt-get install syslinux mtools dosfstools fdisk)"; exit 77; }
done
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -f $MBR ] || { echo "skip: $MBR missing (apt-get install syslinux-common)"; exit 77; }
[ -x "$VMON" ] || { echo "skip: $VMON not built"; exit 77; }
BUILD=$BUILD "$(dirname "$0")/debian-root.sh"
uuid=$(cat "$ROOTFS/root-uuid")

work=$OUT/work
rm -rf "$work"
mkdir -p "$work"

# Partition 1 (FAT16, active): SYSLINUX, the kernel and the initramfs. SYSLINUX writes through the
# BIOS's video services, which SeaBIOS mirrors to the serial port (etc/sercon-port): no SERIAL line.
boot_mib=96
root_mib=$(( ($(stat -c %s "$ROOTFS/root.img") + (1 << 20) - 1) >> 20 ))
mkfs.fat -F 16 -n VMONBOOT -C "$work/boot.img" $((boot_mib * 1024)) >/dev/null
cat >"$work/syslinux.cfg" <<EOF
PROMPT 0
TIMEOUT 0
DEFAULT debian
LABEL debian
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=UUID=$uuid ro console=ttyS0,115200
EOF
mcopy -i "$work/boot.img" "$ROOTFS/vmlinuz" ::/vmlinuz
mcopy -i "$work/boot.img" "$ROOTFS/initrd.img" ::/initrd.img
mcopy -i "$work/boot.img" "$work/syslinux.cfg" ::/syslinux.cfg
syslinux --install "$work/boot.img"

# The disk: MBR from SYSLINUX, two partitions at 1 MiB alignment (the root's image is not mounted
# anywhere from the FAT partition: /boot stays on the root).
disk=$work/disk.raw
truncate -s $((1 + boot_mib + root_mib))M "$disk"
sfdisk -q "$disk" <<EOF
label: dos
start=1MiB, size=${boot_mib}MiB, type=6, bootable
start=$((1 + boot_mib))MiB, size=${root_mib}MiB, type=83
EOF
dd if=$MBR of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$work/boot.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$ROOTFS/root.img" of="$disk" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none
"$VMON" img convert -f raw -O qcow2 "$disk" "$OUT/disk.tmp.qcow2"
echo "$uuid" >"$OUT/root-uuid"
mv "$OUT/disk.tmp.qcow2" "$OUT/disk.qcow2"
rm -rf "$work"
echo "make-debian-disk: $OUT/disk.qcow2 (root UUID $uuid, root's password vmon)"
