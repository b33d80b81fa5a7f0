#!/usr/bin/env bash
# Builds the Debian 12 (bookworm) disk image the firmware boot tests use (issue 15), from Debian's
# archive, into $BUILD/debian-disk/disk.qcow2 (cached: nothing is done when it exists; never
# committed). It is a plain BIOS PC disk, made without loop devices or mounts of the image:
#   - debootstrap --variant=minbase with systemd-sysv, udev and linux-image-amd64;
#   - an initramfs (initramfs-tools, MODULES=list) with virtio_pci, virtio_blk, ata_piix, sd_mod and
#     ext4, so the root is found on virtio-blk or IDE alike: it is mounted by UUID;
#   - a serial getty on ttyS0 (the kernel's console) and root's password "vmon";
#   - an MBR partition table (sfdisk on the image file): partition 1, FAT16 and active, holds SYSLINUX
#     (installed with mtools by `syslinux --install`, which needs no mount), the kernel and the
#     initramfs; partition 2 is the ext4 root, made from the debootstrap tree by `mkfs.ext4 -d` and
#     spliced in with dd. Sector 0 is SYSLINUX's mbr.bin, which boots the active partition.
# Then `vmon img convert -O qcow2`. Debian packages needed on the host: debootstrap, syslinux,
# syslinux-common, mtools, dosfstools, fdisk, e2fsprogs. MIRROR overrides the archive's address.
# Exit 77 with the reason when a tool or the archive is missing.
set -euo pipefail
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
OUT=$BUILD/debian-disk
[ -f "$OUT/disk.qcow2" ] && exit 0
for t in debootstrap syslinux mcopy mkfs.fat sfdisk mkfs.ext4 chroot; do
    command -v $t >/dev/null || { echo "skip: $t missing (apt-get install debootstrap syslinux mtools dosfstools fdisk e2fsprogs)"; exit 77; }
done
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -f $MBR ] || { echo "skip: $MBR missing (apt-get install syslinux-common)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: debootstrap needs root"; exit 77; }
[ -x "$VMON" ] || { echo "skip: $VMON not built"; exit 77; }

work=$OUT/work
root=$work/root
rm -rf "$work"
mkdir -p "$root"
cleanup() {
    for m in proc sys dev/pts; do umount "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "debootstrap bookworm from $MIRROR into $root"
if ! debootstrap --variant=minbase --include=systemd-sysv,udev,kmod,initramfs-tools,linux-image-amd64,e2fsprogs \
        bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -5 "$work/debootstrap.log"
    if grep -qi "failed to\|couldn't download\|unable to\|resolve" "$work/debootstrap.log"; then
        echo "skip: debootstrap could not fetch from $MIRROR"; exit 77
    fi
    echo "make-debian-disk: debootstrap failed (log: $work/debootstrap.log)"; exit 1
fi

uuid=$(cat /proc/sys/kernel/random/uuid)
echo vmon-debian >"$root/etc/hostname"
printf 'UUID=%s / ext4 errors=remount-ro 0 1\n' "$uuid" >"$root/etc/fstab"
# Root's password as SHA-512 with the fewest rounds: bookworm's default, yescrypt, takes over a
# minute of a slow software CPU's time, and login(1) gives up after LOGIN_TIMEOUT (raised too).
echo 'root:vmon' | chroot "$root" chpasswd --crypt-method SHA512 --sha-rounds 1000
sed -i 's/^LOGIN_TIMEOUT.*/LOGIN_TIMEOUT\t\t600/' "$root/etc/login.defs"
# A serial getty on ttyS0 whatever the kernel's console= says. Its unit is Debian's template less
# the wait for udev's dev-ttyS0.device (the port is there from boot: a slow machine's udev coldplug
# may take longer than the 90 s job timeout). Start jobs may take 10 minutes on a loaded host.
mkdir -p "$root/etc/systemd/system/getty.target.wants" "$root/etc/systemd/system.conf.d"
sed -e '/^BindsTo=/d' -e 's/^After=dev-%i.device /After=/' "$root/lib/systemd/system/serial-getty@.service" |
    sed 's/%I/ttyS0/g; s/%i/ttyS0/g' >"$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /etc/systemd/system/serial-getty@ttyS0.service \
    "$root/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
printf '[Manager]\nDefaultTimeoutStartSec=600s\nDefaultDeviceTimeoutSec=600s\n' \
    >"$root/etc/systemd/system.conf.d/vmon-slow-host.conf"
# No virtual consoles (no display) and no e2scrub snapshot reaping (no LVM): less to start.
for u in getty-static.service getty@tty1.service e2scrub_reap.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# The initramfs: only what finding the root on virtio-blk or IDE takes (small: quick to unpack).
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk ata_piix ata_generic sd_mod ext4 crc32c_generic >>"$root/etc/initramfs-tools/modules"
mount -t proc proc "$root/proc"
chroot "$root" update-initramfs -u -k all >"$work/initramfs.log" 2>&1 ||
    { tail -5 "$work/initramfs.log"; echo "make-debian-disk: update-initramfs failed"; exit 1; }
umount "$root/proc"
chroot "$root" apt-get clean

# Partition 1 (FAT16, active): SYSLINUX, the kernel and the initramfs. SYSLINUX writes through the
# BIOS's video services, which SeaBIOS mirrors to the serial port (etc/sercon-port): no SERIAL line.
kernel=$(cd "$root/boot" && ls vmlinuz-* | head -1)
initrd=initrd.img-${kernel#vmlinuz-}
boot_mib=96
root_mib=1400
rm -f "$work/boot.img"
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
mcopy -i "$work/boot.img" "$root/boot/$kernel" ::/vmlinuz
mcopy -i "$work/boot.img" "$root/boot/$initrd" ::/initrd.img
mcopy -i "$work/boot.img" "$work/syslinux.cfg" ::/syslinux.cfg
syslinux --install "$work/boot.img"

# Partition 2: the ext4 root from the tree (the FAT partition is mounted nowhere: /boot stays on root).
rm -f "$work/root.img"
mkfs.ext4 -q -F -U "$uuid" -L vmon-root -d "$root" "$work/root.img" ${root_mib}M

# The disk: MBR from SYSLINUX, two partitions at 1 MiB alignment.
disk=$work/disk.raw
rm -f "$disk"
truncate -s $((1 + boot_mib + root_mib))M "$disk"
sfdisk -q "$disk" <<EOF
label: dos
start=1MiB, size=${boot_mib}MiB, type=6, bootable
start=$((1 + boot_mib))MiB, size=${root_mib}MiB, type=83
EOF
dd if=$MBR of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$work/boot.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$disk" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none
"$VMON" img convert -f raw -O qcow2 "$disk" "$OUT/disk.tmp.qcow2"
echo "$uuid" >"$OUT/root-uuid"
mv "$OUT/disk.tmp.qcow2" "$OUT/disk.qcow2"
rm -rf "$work"
echo "make-debian-disk: $OUT/disk.qcow2 (root UUID $uuid, root's password vmon)"
