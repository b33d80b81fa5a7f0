#!/usr/bin/env bash
# Builds the UEFI variant of the Debian 12 disk (issue 15) into $BUILD/debian-disk-efi/disk.qcow2
# (cached: nothing is done when it exists; never committed): the same root file system as the BIOS
# disk (tests/firmware/debian-root.sh, cached in $BUILD/debian-root) on a GPT disk, made without loop
# devices or mounts (UEFI 2.10 section 5.3 for GPT, 13.3 for the system partition):
#   - partition 1, the EFI system partition: FAT32 (mkfs.fat on an image file, filled with mtools)
#     holding EFI/BOOT/BOOTX64.EFI, the removable-media path firmware boots with no boot entries set.
#     It is GRUB for EFI (Debian's grub-efi-amd64-bin) made by grub-mkstandalone, with a grub.cfg in
#     its memdisk that finds the root by its UUID and boots /vmlinuz and /initrd.img from it (the
#     ext4 root's own symlinks) with root=UUID=... console=ttyS0;
#   - partition 2, the ext4 root image, spliced in with dd.
# The partition table is written by sfdisk (label: gpt) on the image file, then `vmon img convert -O
# qcow2`. Debian packages needed on the host: those of debian-root.sh and grub-efi-amd64-bin, mtools,
# dosfstools, fdisk. Exit 77 with the reason when one is missing.
set -euo pipefail
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
OUT=$BUILD/debian-disk-efi
ROOTFS=$BUILD/debian-root
GRUB_MODS=/usr/lib/grub/x86_64-efi
[ -f "$OUT/disk.qcow2" ] && exit 0
for t in grub-mkstandalone mcopy mmd mkfs.fat sfdisk; do
    command -v $t >/dev/null || { echo "skip: $t missing (apt-get install grub-efi-amd64-bin mtools dosfstools fdisk)"; exit 77; }
done
[ -d $GRUB_MODS ] || { echo "skip: $GRUB_MODS missing (apt-get install grub-efi-amd64-bin)"; exit 77; }
[ -x "$VMON" ] || { echo "skip: $VMON not built"; exit 77; }
BUILD=$BUILD "$(dirname "$0")/debian-root.sh"
uuid=$(cat "$ROOTFS/root-uuid")

work=$OUT/work
rm -rf "$work"
mkdir -p "$work"

# GRUB: the text goes to the firmware's console (OVMF puts it on the serial port); the kernel's
# console is ttyS0. The echo lines let a test see GRUB ran.
cat >"$work/grub.cfg" <<EOF
set timeout=0
insmod part_gpt
insmod ext2
echo 'vmon-grub: searching for the root $uuid'
search --no-floppy --fs-uuid --set=root $uuid
echo 'vmon-grub: loading Linux'
linux /vmlinuz root=UUID=$uuid ro console=ttyS0,115200
initrd /initrd.img
boot
EOF
grub-mkstandalone -O x86_64-efi -d $GRUB_MODS -o "$work/BOOTX64.EFI" \
    --modules="part_gpt ext2 fat search search_fs_uuid linux echo" \
    --locales= --fonts= --themes= "boot/grub/grub.cfg=$work/grub.cfg"

# Partition 1: the EFI system partition (FAT32 needs at least 65525 clusters: 64 MiB of 512-byte ones).
esp_mib=64
root_mib=$(( ($(stat -c %s "$ROOTFS/root.img") + (1 << 20) - 1) >> 20 ))
mkfs.fat -F 32 -s 1 -n VMONESP -C "$work/esp.img" $((esp_mib * 1024)) >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

# The disk: GPT, two partitions at 1 MiB alignment, 1 MiB at the end for the backup table.
disk=$work/disk.raw
truncate -s $((1 + esp_mib + root_mib + 1))M "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
start=1MiB, size=${esp_mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
start=$((1 + esp_mib))MiB, size=${root_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="Debian root"
EOF
dd if="$work/esp.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$ROOTFS/root.img" of="$disk" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
mkdir -p "$OUT"
"$VMON" img convert -f raw -O qcow2 "$disk" "$OUT/disk.tmp.qcow2"
echo "$uuid" >"$OUT/root-uuid"
mv "$OUT/disk.tmp.qcow2" "$OUT/disk.qcow2"
rm -rf "$work"
echo "make-debian-disk-efi: $OUT/disk.qcow2 (GPT, ESP with GRUB; root UUID $uuid, root's password vmon)"
