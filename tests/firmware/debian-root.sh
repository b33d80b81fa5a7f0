#!/usr/bin/env bash
# The Debian 12 (bookworm) root file system both firmware-boot disks are made from (issue 15):
# make-debian-disk.sh (BIOS: MBR + SYSLINUX) and make-debian-disk-efi.sh (UEFI: GPT + ESP + GRUB)
# run this first and lay its output out on their disk. Cached in $BUILD/debian-root (nothing is done
# when root.img is there; never committed), made without loop devices or mounts of the image:
#   - debootstrap --variant=minbase with systemd-sysv, udev and linux-image-amd64;
#   - an initramfs (initramfs-tools, MODULES=list) with virtio_pci, virtio_blk, ata_piix, sd_mod and
#     ext4, so the root is found on virtio-blk or IDE alike: it is mounted by UUID;
#   - a serial getty on ttyS0 (the kernel's console) and root's password "vmon";
#   - root.img: an ext4 image of the tree (mkfs.ext4 -d) with that UUID (in root-uuid); the kernel
#     and initramfs beside it (vmlinuz, initrd.img) for a boot loader that reads only FAT.
# Debian packages needed on the host: debootstrap, e2fsprogs. MIRROR overrides the archive's address.
# Exit 77 with the reason when a tool, root or the archive is missing.
set -euo pipefail
BUILD=${BUILD:-build}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
OUT=$BUILD/debian-root
ROOT_MIB=${ROOT_MIB:-1400}
[ -f "$OUT/root.img" ] && exit 0
for t in debootstrap mkfs.ext4 chroot; do
    command -v $t >/dev/null || { echo "skip: $t missing (apt-get install debootstrap e2fsprogs)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "skip: debootstrap needs root"; exit 77; }

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
    echo "debian-root: debootstrap failed (log: $work/debootstrap.log)"; exit 1
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
    { tail -5 "$work/initramfs.log"; echo "debian-root: update-initramfs failed"; exit 1; }
umount "$root/proc"
chroot "$root" apt-get clean

kernel=$(cd "$root/boot" && ls vmlinuz-* | head -1)
cp "$root/boot/$kernel" "$OUT/vmlinuz"
cp "$root/boot/initrd.img-${kernel#vmlinuz-}" "$OUT/initrd.img"
mkfs.ext4 -q -F -U "$uuid" -L vmon-root -d "$root" "$work/root.img" ${ROOT_MIB}M
echo "$uuid" >"$OUT/root-uuid"
mv "$work/root.img" "$OUT/root.img"
rm -rf "$work"
echo "debian-root: $OUT/root.img (root UUID $uuid, root's password vmon)"
