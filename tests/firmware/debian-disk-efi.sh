#!/usr/bin/env bash
# The UEFI variant of the Debian 12 disk booted by OVMF (issue 15): the image
# tests/firmware/make-debian-disk-efi.sh builds (`make debian-disk-efi`; built here when missing: GPT,
# an EFI system partition with GRUB as EFI/BOOT/BOOTX64.EFI, the same ext4 root as the BIOS disk)
# boots under --accel soft as `vmon -m 2048 -bios /usr/share/ovmf/OVMF.fd disk.qcow2 -nographic`:
# OVMF's boot manager starts the disk's loader, GRUB's text and the kernel's appear on the serial
# console, Linux finds the firmware's ACPI tables (vmon's, linked by OVMF from etc/table-loader) and
# EFI, systemd reaches login: on ttyS0, the test logs in (serial-login.py), runs a command, writes a
# file and runs poweroff (ACPI S5); vmon exits 0 and the file is in the image afterwards. QEMU (TCG)
# boots the same image with the same OVMF to the same end. The kernel names the machine from vmon's
# SMBIOS structures (etc/smbios/*, installed by OVMF). Skips (77) when the image cannot be built
# or OVMF is missing.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(dirname "$0")
OVMF=/usr/share/ovmf/OVMF.fd
[ -f "$OVMF" ] || { echo "skip: $OVMF missing (apt-get install ovmf)"; exit 77; }
. "$here/debian-lib.sh"
debian_setup "$BUILD/debian-disk-efi/disk.qcow2" "$here/make-debian-disk-efi.sh"

debian_login "$line" "$VMON" -m 2048 -accel tcg -bios "$OVMF" "$tmp/disk.qcow2" -nographic
check "vmon: OVMF's boot manager starts the disk" grep -q "BdsDxe: starting .*HARDDISK" "$tmp/serial.log"
check "vmon: GRUB's grub.cfg runs (its text on serial)" grep -q "vmon-grub: loading Linux" "$tmp/serial.log"
check "vmon: Linux booted through EFI" grep -q "efi: EFI v" "$tmp/serial.log"
check "vmon: Linux reads the ACPI tables OVMF installed (FADT, DSDT, MADT)" \
    sh -c "grep -q 'ACPI: FACP' '$tmp/serial.log' && grep -q 'ACPI: DSDT' '$tmp/serial.log' && grep -q 'ACPI: APIC' '$tmp/serial.log'"
check "vmon: SMBIOS from vmon through the firmware (DMI: vmon Standard PC)" grep -q "DMI: vmon Standard PC" "$tmp/serial.log"
check "vmon: the kernel's and systemd's messages" grep -q "Welcome to .*Debian GNU/Linux 12" "$tmp/serial.log"
check "vmon: login, a command, a file, poweroff: status 0" test "$rc" -eq 0
check "vmon: the power-off path (reboot: Power down)" grep -q "reboot: Power down" "$tmp/serial.log"
debian_file_check

if command -v qemu-system-x86_64 >/dev/null; then
    debian_login "qemu-$line" qemu-system-x86_64 -m 2048 -accel tcg -bios "$OVMF" -nographic -snapshot \
        -nic none "$tmp/disk.qcow2"
    check "QEMU TCG boots the same image with OVMF: login, poweroff, status 0" test "$rc" -eq 0
    check "QEMU TCG: through GRUB and EFI" sh -c "grep -q 'vmon-grub: loading Linux' '$tmp/serial.log' && grep -q 'efi: EFI v' '$tmp/serial.log'"
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
