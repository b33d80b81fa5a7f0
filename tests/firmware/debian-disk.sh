#!/usr/bin/env bash
# A real Debian 12 disk booted by the firmware (issue 15): the image tests/firmware/make-debian-disk.sh
# builds (`make debian-disk`; built here when missing) boots under --accel soft with no --kernel, in
# QEMU's spelling `vmon -m 2048 disk.qcow2 -nographic` (the bare image is the first IDE disk):
# SeaBIOS and SYSLINUX print on the serial console, systemd reaches login: on ttyS0, the test logs in
# as root (tests/firmware/serial-login.py), runs a command, writes a file and runs poweroff; vmon
# exits 0 and the file is in the image afterwards (debugfs on a raw copy made by vmon img convert).
# QEMU (TCG) boots the same image, spelled the same way, to the same end, so it is a real PC disk.
# Skips (77) when the image cannot be built (no network, no debootstrap, not root).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(dirname "$0")
DISK=$BUILD/debian-disk/disk.qcow2
LOGIN_TIMEOUT=${LOGIN_TIMEOUT:-900}
if [ ! -f "$DISK" ]; then
    BUILD=$BUILD VMON=$VMON "$here/make-debian-disk.sh"
    rc=$?
    [ $rc -eq 0 ] || exit $rc
fi
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
command -v debugfs >/dev/null && command -v sfdisk >/dev/null ||
    { echo "skip: debugfs or sfdisk missing (apt-get install e2fsprogs fdisk)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {   # description, condition (a command)
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; tail -30 "$tmp/serial.log" | sed 's/^/    /'; echo; fail=1; fi
}
cp "$DISK" "$tmp/disk.qcow2" || { echo "FAIL: copying $DISK"; exit 1; }
line="vmon-file-$$-$RANDOM"

python3 "$here/serial-login.py" "$tmp/serial.log" "$LOGIN_TIMEOUT" vmon "$line" -- \
    "$VMON" -m 2048 -accel tcg "$tmp/disk.qcow2" -nographic | tee "$tmp/steps"
rc=${PIPESTATUS[0]}
check "vmon: SeaBIOS's banner on serial" grep -q "SeaBIOS (version " "$tmp/serial.log"
check "vmon: SYSLINUX's banner on serial" grep -q "SYSLINUX " "$tmp/serial.log"
check "vmon: the kernel's and systemd's messages" grep -q "Welcome to .*Debian GNU/Linux 12" "$tmp/serial.log"
check "vmon: login, a command, a file, poweroff: status 0" test "$rc" -eq 0
check "vmon: the power-off path (reboot: Power down)" grep -q "reboot: Power down" "$tmp/serial.log"

# The file the guest wrote, read from the ext4 root (partition 2) of a raw copy.
"$VMON" img convert -O raw "$tmp/disk.qcow2" "$tmp/disk.raw" &&
    start=$(sfdisk -d "$tmp/disk.raw" | awk -F'[=,]' '/start=/ { if (++n == 2) print $2 + 0 }') &&
    debugfs -R "cat /root/vmon-test.txt" "$tmp/disk.raw?offset=$((start * 512))" >"$tmp/file" 2>/dev/null
check "the file the guest wrote is in the image" grep -qx "$line" "$tmp/file"
rm -f "$tmp/disk.raw"

if command -v qemu-system-x86_64 >/dev/null; then
    python3 "$here/serial-login.py" "$tmp/serial.log" "$LOGIN_TIMEOUT" vmon "qemu-$line" -- \
        qemu-system-x86_64 -m 2048 -accel tcg -nographic -snapshot -nic none "$tmp/disk.qcow2" \
        | tee "$tmp/steps"
    rc=${PIPESTATUS[0]}
    check "QEMU TCG boots the same image: login, poweroff, status 0" test "$rc" -eq 0
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
