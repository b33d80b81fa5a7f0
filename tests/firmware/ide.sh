#!/usr/bin/env bash
# IDE and the CD-ROM under SeaBIOS (issue 15). The ISO comes from tests/firmware/mkiso.sh (Debian's
# cloud kernel and the busybox initramfs with ata_piix and sr_mod, booted by isolinux); its command
# reads the CD's volume descriptor through Linux's sr driver and powers off (ACPI S5 through the
# PIIX4 PM block the firmware's tables describe): vmon (and QEMU) exit with status 0.
#   - a raw boot sector as a bare image argument (the first IDE disk) boots, soft and KVM
#   - -cdrom x.iso boots to the initramfs marker under --accel soft; QEMU boots the same ISO
#   - with the boot-sector disk attached: by default the disk boots, with -boot d the CD
#   - a direct-boot kernel sees -hda through ata_piix: it reads a known sector and writes another;
#     the image is probed raw, so its write of a qcow2 header to sector 0 is refused (a plain
#     write there passes), as QEMU does
#   - hostile: a disk whose sector 0 is garbage, a truncated ISO, -bios with a text file: a message
#     or a guest-visible failure, never a crash or a hang (each run bounded)
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
[ -f /usr/share/seabios/bios-256k.bin ] || { echo "skip: SeaBIOS missing (apt-get install seabios)"; exit 77; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; tail -n 15 "$tmp/out" | sed 's/^/    /'; sed 's/^/    err: /' "$tmp/err" | tail -5; fail=1; }
check() { if "${@:2}"; then ok "$1"; else bad "$1"; fi; }

# run SECS PATTERN ARGS...: vmon until it ends, its output has PATTERN, or SECS pass (then it is
# stopped); rc: its status; ended=1 when it ended by itself.
run() {
    local secs=$1 pat=$2
    shift 2
    "$VMON" "$@" </dev/null >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    ended=0
    for _ in $(seq $((secs * 5))); do
        kill -0 $pid 2>/dev/null || { ended=1; break; }
        [ -n "$pat" ] && grep -qa -- "$pat" "$tmp/out" && sleep 1 && break
        sleep 0.2
    done
    kill $pid 2>/dev/null
    wait $pid
    rc=$?
    pid=
}
not_crashed() { [ "$rc" -lt 128 ] || [ "$rc" -eq 143 ]; }

as --32 -o "$tmp/bs.o" "$here/bootsector.S" &&
    ld -m elf_i386 -Ttext=0x7c00 --oformat binary -o "$tmp/disk.img" "$tmp/bs.o" &&
    truncate -s 1M "$tmp/disk.img" || { echo "FAIL: building the boot sector"; exit 1; }

accels=soft
if { exec 3<>/dev/kvm; } 2>/dev/null; then exec 3<&-; accels="soft kvm"; else echo "skip (kvm part): /dev/kvm cannot be opened"; fi
for a in $accels; do
    run 120 "" run --accel "$a" -nographic "$tmp/disk.img"
    check "$a: a bare raw image boots from IDE: marker" grep -qa vmon-bootsector-ok "$tmp/out"
    check "$a: ... status 33 (isa-debug-exit)" test $rc -eq 33
    check "$a: ... QEMU's warning for a probed raw image" grep -q "probing guessed raw" "$tmp/err"
done
run 120 "" "$tmp/disk.img" -accel tcg -nographic
check "vmon IMAGE (no subcommand, the image first): boots it, status 33" test $rc -eq 33

# Garbage in sector 0 (no 0x55aa): SeaBIOS says so; with the signature, the garbage runs (a crash
# of the guest is a register dump and status 1, a loop runs until the timeout)
head -c 1048576 /dev/urandom >"$tmp/garbage.img"
printf '\x00\x00' | dd of="$tmp/garbage.img" bs=1 seek=510 conv=notrunc 2>/dev/null
run 60 "No bootable device" -accel tcg -nographic -drive file="$tmp/garbage.img",format=raw
check "garbage sector 0: SeaBIOS reports a boot failure" grep -qa "Boot failed\|No bootable device" "$tmp/out"
check "... vmon did not crash (status $rc)" not_crashed
printf '\x55\xaa' | dd of="$tmp/garbage.img" bs=1 seek=510 conv=notrunc 2>/dev/null
run 20 "" -accel tcg -nographic -drive file="$tmp/garbage.img",format=raw
check "garbage code with the signature: ends or runs, no crash (status $rc)" not_crashed

"$VMON" -accel tcg -nographic -bios "$here/seabios.sh" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-bios with a text file: status 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1

cmd='echo VMON-ISO-OK; echo SR0=$(cat /sys/block/sr0/size); echo PVD=$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | head -c 6 | tail -c 5); poweroff -f'
"$here/mkiso.sh" "$tmp/x.iso" "$cmd"
r=$?
[ $r -eq 77 ] && { echo "skip (ISO part): the ISO material cannot be built here"; exit $fail; }
[ $r -eq 0 ] || { echo "FAIL: mkiso.sh"; exit 1; }
limit=${BOOT_TIMEOUT:-300}

run "$limit" "" -accel tcg -nographic -cdrom "$tmp/x.iso"
check "-cdrom: isolinux's banner" grep -qa "ISOLINUX" "$tmp/out"
check "-cdrom: the initramfs marker" grep -qa "^VMON-GUEST-READY" "$tmp/out"
check "-cdrom: Linux reads the CD through sr0 (CD001)" grep -qa "^PVD=CD001" "$tmp/out"
check "-cdrom: the guest powers off, vmon exits 0 (status $rc)" test $ended -eq 1 -a $rc -eq 0

run 120 "" -accel tcg -nographic -drive file="$tmp/disk.img",format=raw -cdrom "$tmp/x.iso"
check "disk and CD, no -boot: the disk boots first" grep -qa vmon-bootsector-ok "$tmp/out"
run "$limit" "" -accel tcg -nographic -drive file="$tmp/disk.img",format=raw \
    -cdrom "$tmp/x.iso" -boot d
check "-boot d: the CD boots first" grep -qa "^VMON-ISO-OK" "$tmp/out"
check "-boot d: ... not the disk, and the guest powers off" \
    bash -c "! grep -qa vmon-bootsector-ok '$tmp/out' && [ $ended -eq 1 ] && [ $rc -eq 0 ]"

# a truncated ISO: the boot record is there, the kernel is not
head -c 2M "$tmp/x.iso" >"$tmp/short.iso"
run 60 "" -accel tcg -nographic -cdrom "$tmp/short.iso"
check "truncated ISO: no marker, no crash (status $rc)" bash -c "! grep -qa VMON-GUEST-READY '$tmp/out' && { [ $rc -lt 128 ] || [ $rc -eq 143 ]; }"
check "truncated ISO: the failure is on the console" grep -qai "fail\|error\|could not\|No bootable" "$tmp/out"

# Linux's ata_piix on a disk with a known pattern: read sector 100, write sector 200
python3 -c "import sys; sys.stdout.buffer.write(bytes((i * 7 + i // 512) & 255 for i in range(1 << 20)))" >"$tmp/pat.img"
want=$(dd if="$tmp/pat.img" bs=512 skip=100 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
lcmd='echo SUM=$(dd if=/dev/sda bs=512 skip=100 count=1 2>/dev/null | md5sum); echo vmon-ide-write | dd of=/dev/sda bs=512 seek=200 conv=sync,fsync 2>/dev/null; echo vmon-s0 | dd of=/dev/sda bs=512 conv=sync,fsync 2>/dev/null; echo S0=$?; printf "QFI\373\0\0\0\003" | dd of=/dev/sda bs=512 conv=sync,fsync 2>/dev/null; echo QCOW=$?'
run "$limit" "VMON-CMD-EXIT" run --accel soft --kernel build/guest/bzImage --initrd "$tmp/x.iso.initrd" \
    --append "console=ttyS0 vmon.cmd64=$(printf '%s' "$lcmd" | base64 -w0)" -hda "$tmp/pat.img"
check "ata_piix: Linux finds the disk" grep -qa "ata1.00: ATA-7: VMON HARDDISK" "$tmp/out"
check "ata_piix: sector 100 reads back the pattern" grep -qa "^SUM=$want" "$tmp/out"
check "ata_piix: the write reached the image" bash -c "dd if='$tmp/pat.img' bs=512 skip=200 count=1 2>/dev/null | grep -qa vmon-ide-write"
check "probed raw: a plain write to sector 0 passes" grep -qa "^S0=0" "$tmp/out"
check "probed raw: a qcow2 header to sector 0 fails in the guest" grep -qa "^QCOW=1" "$tmp/out"
check "probed raw: ... and sector 0 keeps the plain write" bash -c "head -c 7 '$tmp/pat.img' | grep -qa vmon-s0"

if command -v qemu-system-x86_64 >/dev/null; then
    timeout "$limit" qemu-system-x86_64 -accel tcg -m 512 -nographic -cdrom "$tmp/x.iso" \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "QEMU boots the same ISO: marker, CD001, status 0" \
        bash -c "grep -qa '^VMON-ISO-OK' '$tmp/out' && grep -qa '^PVD=CD001' '$tmp/out' && [ $rc -eq 0 ]"
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
