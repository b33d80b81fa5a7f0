#!/usr/bin/env bash
# The VGA of firmware boots (issue 15): without -nographic SeaBIOS and the video BIOS draw on the
# VGA and vmon mirrors its text to the console, once (no SeaBIOS serial console beside it), text a
# guest writes straight into 0xb8000 included; with -nographic (or -vga none) SeaBIOS prints on
# COM1 itself and there is no mirror. The boot sector (vgasector.S) prints one line through
# int 10h and one into text memory, then ends the run with status 33. Soft, and KVM where
# /dev/kvm opens.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
[ -f /usr/share/seabios/bios-256k.bin ] && [ -f /usr/share/seabios/vgabios-isavga.bin ] ||
    { echo "skip: Debian's seabios package missing"; exit 77; }
. "$(dirname "$0")/lib.sh"
count() { grep -c "$1" "$tmp/out"; }
fw_bootsector "$(dirname "$0")/vgasector.S"

boot() {   # accel, vmon args...: runs the disk to its exit (or 120 s); status in $rc
    local a=$1
    shift
    timeout 120 "$VMON" run --accel "$a" "$@" --drive file="$tmp/disk.img",format=raw,if=virtio \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

for a in $accels; do
    boot "$a"
    check "$a: the boot sector ran: status 33" test $rc -eq 33
    check "$a: mirror: SeaBIOS's banner, once" test "$(count "SeaBIOS (version ")" -eq 1
    check "$a: mirror: the video BIOS's teletype line, once" test "$(count "vga-bios-text")" -eq 1
    check "$a: mirror: text written straight into 0xb8000" grep -q "vga-direct-text" "$tmp/out"
    boot "$a" -nographic
    check "$a: -nographic: status 33" test $rc -eq 33
    check "$a: -nographic: SeaBIOS's serial console, once" test "$(count "vga-bios-text")" -eq 1
    check "$a: -nographic: no mirror" test "$(count "vga-direct-text")" -eq 0
    boot "$a" -vga none
    check "$a: -vga none: status 33, SeaBIOS's serial console, no mirror" \
        test $rc -eq 33 -a "$(count "vga-bios-text")" -eq 1 -a "$(count "vga-direct-text")" -eq 0
done
"$VMON" run --accel soft -vga cirrus </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-vga cirrus: status 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1
exit $fail
