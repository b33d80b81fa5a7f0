#!/usr/bin/env bash
# The i440FX PAM registers (82441FX datasheet 3.2.18; mm/pam.h) under --accel soft and, where
# /dev/kvm opens, --accel kvm: tests/firmware/pamtest.S, run as the firmware, programs PAM0 and PAM1
# through 0xcf8/0xcfc and checks reads, writes and code fetches of 0xf0000, 0xc0000 and 0xc4000 in
# each of the four modes (status 33 and "pam-ok"; a failed step n exits 2n+1). QEMU runs the same
# image as a cross-check where it is installed, built without the mode-2 reads (QEMU 7.2 maps
# write-only segments as RAM). Then SeaBIOS boots tests/firmware/straysector.S, whose write to the
# BIOS (read-only by then) must not change it, and tests/firmware/resetsector.S, which overwrites the
# shadow and resets: the reset puts PAM back to the ROM (the datasheet's default, 00h), so SeaBIOS
# boots again. QEMU 7.2 is no oracle for that one: its i440FX keeps PAM (and SeaBIOS runs its RAM
# shadow, which qemu_reboot then copies afresh) over a reset, so it hangs in the overwritten code.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
. "$(dirname "$0")/lib.sh"
src=$(dirname "$0")/pamtest.S
command -v as >/dev/null && command -v ld >/dev/null || { echo "skip: binutils (as, ld) missing"; exit 77; }
build_image() {   # output, extra as flags...
    local out=$1
    shift
    as --32 "$@" -o "$tmp/pam.o" "$src" && ld -m elf_i386 -Ttext=0 --oformat binary -o "$out" "$tmp/pam.o" ||
        { echo "FAIL: building $src"; exit 1; }
}
build_image "$tmp/pam.bin"

for a in $accels; do
    timeout 60 "$VMON" run --accel "$a" -nographic -bios "$tmp/pam.bin" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "$a: every PAM mode of 0xf0000/0xc0000/0xc4000: status 33 (failed step n: 2n+1, got $rc)" test $rc -eq 33
    check "$a: ... pam-ok on COM1" grep -q "pam-ok" "$tmp/out"
done

# SeaBIOS itself: once it has shadowed itself, a boot sector's stray write to 0xffff5 is dropped;
# a reset after a boot sector overwrote the shadow gives SeaBIOS its ROM back.
sector_each() {   # SECTOR MARK DESCRIPTION: the boot sector under each accelerator, MARK on COM1
    fw_bootsector "$(dirname "$0")/$1"
    for a in $accels; do
        timeout 120 "$VMON" run --accel "$a" -nographic --drive file="$tmp/disk.img",format=raw,if=virtio \
            </dev/null >"$tmp/out" 2>"$tmp/err"
        rc=$?
        check "$a: $3 (status $rc)" grep -q "$2" "$tmp/out"
    done
}
if [ -f /usr/share/seabios/bios-256k.bin ]; then
    sector_each straysector.S vmon-stray-ok "SeaBIOS leaves 0xf0000 read-only: a stray write does not reach it"
    cp "$tmp/disk.img" "$tmp/stray.img"
    sector_each resetsector.S vmon-reset-second \
        "a reset after the shadow was overwritten: PAM back to the ROM, SeaBIOS boots again"
else
    echo "skip (SeaBIOS part): /usr/share/seabios/bios-256k.bin missing"
fi

if command -v qemu-system-x86_64 >/dev/null; then
    build_image "$tmp/pamq.bin" --defsym WO_READS_RAM=1
    timeout 60 qemu-system-x86_64 -nographic -nodefaults -serial stdio -bios "$tmp/pamq.bin" -accel tcg \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "QEMU runs the same checks (less mode 2's reads): status 33 (got $rc)" test $rc -eq 33
    if [ -f "$tmp/stray.img" ]; then
        timeout 120 qemu-system-x86_64 -nographic -nodefaults -serial stdio -accel tcg \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -drive file="$tmp/stray.img",if=virtio,format=raw \
            </dev/null >"$tmp/out" 2>"$tmp/err"
        check "QEMU: the stray write is dropped there too" grep -q vmon-stray-ok "$tmp/out"
    fi
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
