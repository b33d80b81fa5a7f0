#!/usr/bin/env bash
# A real Debian 12 disk booted by the firmware (issue 15): the image tests/firmware/make-debian-disk.sh
# builds (`make debian-disk`; built here when missing) boots under --accel soft with no --kernel, in
# QEMU's spelling `vmon -m 2048 disk.qcow2 -nographic` (the bare image is the first IDE disk):
# SeaBIOS and SYSLINUX print on the serial console, systemd reaches login: on ttyS0, the test logs in
# as root (tests/firmware/serial-login.py), runs a command, writes a file and runs poweroff; vmon
# exits 0 and the file is in the image afterwards (debugfs on a raw copy made by vmon img convert);
# the kernel names the machine from vmon's SMBIOS structures, which SeaBIOS installed.
# QEMU (TCG) boots the same image, spelled the same way, to the same end, so it is a real PC disk.
# Skips (77) when the image cannot be built (no network, no debootstrap, not root).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(dirname "$0")
. "$here/debian-lib.sh"
debian_setup "$BUILD/debian-disk/disk.qcow2" "$here/make-debian-disk.sh"

debian_login "$line" "$VMON" -m 2048 -accel tcg "$tmp/disk.qcow2" -nographic
check "vmon: SeaBIOS's banner on serial" grep -q "SeaBIOS (version " "$tmp/serial.log"
check "vmon: SYSLINUX's banner on serial" grep -q "SYSLINUX " "$tmp/serial.log"
check "vmon: SMBIOS from vmon through the firmware (DMI: vmon Standard PC)" grep -q "DMI: vmon Standard PC" "$tmp/serial.log"
check "vmon: the kernel's and systemd's messages" grep -q "Welcome to .*Debian GNU/Linux 12" "$tmp/serial.log"
check "vmon: login, a command, a file, poweroff: status 0" test "$rc" -eq 0
check "vmon: the power-off path (reboot: Power down)" grep -q "reboot: Power down" "$tmp/serial.log"
debian_file_check

if command -v qemu-system-x86_64 >/dev/null; then
    debian_login "qemu-$line" qemu-system-x86_64 -m 2048 -accel tcg -nographic -snapshot -nic none "$tmp/disk.qcow2"
    check "QEMU TCG boots the same image: login, poweroff, status 0" test "$rc" -eq 0
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
