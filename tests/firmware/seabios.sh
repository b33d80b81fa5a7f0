#!/usr/bin/env bash
# Firmware boot with Debian's SeaBIOS (issue 15), under --accel soft and, where /dev/kvm opens,
# --accel kvm: with no disk SeaBIOS prints its banner on COM1 (etc/sercon-port) and reaches "No
# bootable device"; with a raw virtio-blk disk whose sector 0 is tests/firmware/bootsector.S it
# boots that sector through its own virtio-blk driver, which prints a marker and ends the run
# through isa-debug-exit. QEMU runs the same disk as a cross-check where it is installed. -bios
# pointing at a missing file or a text file is one line and status 2.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
BIOS=/usr/share/seabios/bios-256k.bin
[ -f "$BIOS" ] || { echo "skip: $BIOS missing (apt-get install seabios)"; exit 77; }
. "$(dirname "$0")/lib.sh"
fw_bootsector "$(dirname "$0")/bootsector.S"

# Run vmon until its output has $2 (or 120 s); then stop it. Status in $rc.
run_until() {   # accel, pattern, vmon args...
    local accel=$1 pat=$2
    shift 2
    "$VMON" run --accel "$accel" -nographic "$@" </dev/null >"$tmp/out" 2>"$tmp/err" &
    local pid=$!
    for _ in $(seq 240); do
        grep -q "$pat" "$tmp/out" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.5
    done
    kill $pid 2>/dev/null
    wait $pid
    rc=$?
}

for a in $accels; do
    run_until "$a" "No bootable device"
    check "$a: SeaBIOS's banner on COM1" grep -q "SeaBIOS (version " "$tmp/out"
    check "$a: no disk: No bootable device" grep -q "No bootable device" "$tmp/out"
    timeout 120 "$VMON" run --accel "$a" -nographic --drive file="$tmp/disk.img",format=raw,if=virtio \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "$a: boots sector 0 of a virtio-blk disk: marker" grep -q "vmon-bootsector-ok" "$tmp/out"
    check "$a: ... and isa-debug-exit 0x10: status 33" test $rc -eq 33
    timeout 120 "$VMON" -accel "$( [ "$a" = soft ] && echo tcg || echo kvm)" -nographic -bios "$BIOS" \
        -drive file="$tmp/disk.img",format=raw,if=virtio </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "$a: QEMU spelling with -bios: status 33" test $rc -eq 33
done

if command -v qemu-system-x86_64 >/dev/null; then
    timeout 120 qemu-system-x86_64 -nographic -nodefaults -serial stdio -bios "$BIOS" -accel tcg \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -drive file="$tmp/disk.img",if=virtio,format=raw </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "QEMU boots the same disk: marker, status 33" \
        bash -c "grep -q vmon-bootsector-ok '$tmp/out' && [ $rc -eq 33 ]"
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi

"$VMON" run -bios "$tmp/nonexistent" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-bios with a missing file: status 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1
head -c 65536 /dev/zero | tr '\0' 'x' >"$tmp/text.bin"
"$VMON" run --accel soft -bios "$tmp/text.bin" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-bios with a text file of 64 KiB: status 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1
"$VMON" run --accel soft -bios "$(dirname "$0")/seabios.sh" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-bios with a short text file: status 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1
exit $fail
