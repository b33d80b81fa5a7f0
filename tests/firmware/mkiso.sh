#!/usr/bin/env bash
# Build the ISO test material (issue 15) from Debian's archive, never committed: an El Torito CD
# made with xorriso + isolinux (Debian's xorriso, isolinux, syslinux-common) around Debian 12's
# cloud kernel and the busybox initramfs of scripts/fetch-guest.sh, to which a second cpio archive
# adds the kernel's ata_piix, sd_mod, sr_mod and isofs modules (with their dependencies) so that
# the guest sees IDE disks and the CD-ROM. isolinux boots the kernel with console=ttyS0 and the
# vmon.cmd64= command given here, on the serial console (isolinux's own "serial 0").
#   tests/firmware/mkiso.sh OUT.iso [CMD]      (CMD: the initramfs's command, default a marker)
# Also writes OUT.iso's initrd beside it (OUT.iso.initrd) for direct-boot tests of the same
# modules. Exit 77 (skip) when a tool or the guest material is missing, naming the fix.
set -u
out=$1
cmd=${2:-echo VMON-ISO-OK}
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/kmod-order.sh"
g=$root/build/guest
deb=$(ls "$g"/debs/linux-image-*-cloud-amd64_*.deb 2>/dev/null | head -n1)
skip() { echo "skip: $*"; exit 77; }
[ -f "$g/bzImage" ] && [ -f "$g/initramfs.cpio.gz" ] && [ -n "$deb" ] ||
    skip "guest material missing (make guest-linux)"
command -v xorriso >/dev/null || skip "xorriso missing (apt-get install xorriso)"
[ -f /usr/lib/ISOLINUX/isolinux.bin ] && [ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] ||
    skip "isolinux missing (apt-get install isolinux syslinux-common)"
command -v cpio >/dev/null && command -v objcopy >/dev/null || skip "cpio or objcopy missing"

# The modules, cached under build/iso: extracted once per kernel package.
cache=$root/build/iso
kroot=$cache/kroot
if [ ! -f "$cache/modules.cpio.gz" ] || [ "$deb" -nt "$cache/modules.cpio.gz" ] ||
   [ "$0" -nt "$cache/modules.cpio.gz" ] || [ "$g/initramfs.cpio.gz" -nt "$cache/modules.cpio.gz" ]; then
    rm -rf "$kroot" "$cache/mods"
    mkdir -p "$kroot" "$cache/mods/lib/modules"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kroot" --wildcards './lib/modules/*' ||
        { echo "mkiso: extracting $deb failed" >&2; exit 1; }
    mdir=$(echo "$kroot"/lib/modules/*/kernel)
    order=$cache/mods/lib/modules/order
    # the initramfs's own list first: its /init loads /lib/modules/order, which this one replaces
    zcat "$g/initramfs.cpio.gz" | (cd "$cache" && cpio -i --quiet --to-stdout lib/modules/order) >"$order"
    add_modules "$mdir" "$cache/mods/lib/modules" "$order" ata_piix sd_mod sr_mod isofs
    grep -qx ata_piix.ko "$order" || { echo "mkiso: ata_piix.ko not found in $deb" >&2; exit 1; }
    (cd "$cache/mods" && find . -mindepth 1 | cpio -o -H newc --quiet | gzip -9) >"$cache/modules.cpio.gz.tmp" &&
        mv "$cache/modules.cpio.gz.tmp" "$cache/modules.cpio.gz"
    rm -rf "$kroot"
fi

iso=$(mktemp -d)
trap 'rm -rf "$iso"' EXIT
mkdir -p "$iso/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
cp "$g/bzImage" "$iso/vmlinuz"
cat "$g/initramfs.cpio.gz" "$cache/modules.cpio.gz" >"$iso/initrd.gz"
cp "$iso/initrd.gz" "$out.initrd"
cat >"$iso/isolinux/isolinux.cfg" <<CFG
serial 0 115200
default linux
prompt 0
timeout 1
label linux
  kernel /vmlinuz
  append initrd=/initrd.gz console=ttyS0 vmon.cmd64=$(printf '%s' "$cmd" | base64 -w0)
CFG
xorriso -as mkisofs -quiet -o "$out" -V VMONISO -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
    "$iso" || { echo "mkiso: xorriso failed" >&2; exit 1; }
