#!/usr/bin/env bash
# UEFI firmware (issue 15): Debian's OVMF (`-bios /usr/share/ovmf/OVMF.fd`, the image that runs from
# -bios on the i440FX machine) boots under --accel soft to the UEFI shell on the serial console,
# takes "reset -s" typed there and powers the VM off (vmon exits 0). QEMU TCG runs the same as the
# oracle. What it needs of vmon: the PIIX4 PM function (OVMF reads PMBA back for its timer), IA32
# PLATFORM_ID, empty IDE channels that read 0 as QEMU's do, and SLP_TYP 0 as soft off.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
OVMF=/usr/share/ovmf/OVMF.fd
[ -f "$OVMF" ] || { echo "skip: $OVMF missing (apt-get install ovmf)"; exit 77; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0

# Boot to the shell prompt (up to 300 s: the soft CPU on a loaded host), type the command, wait for
# the exit. Prints the status (124: no prompt or no exit).
to_shell() {   # name, command...
    local name=$1
    shift
    mkfifo "$tmp/$name.in"
    "$@" <"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    local pid=$!
    exec 4>"$tmp/$name.in"
    local i
    for i in $(seq 600); do
        grep -q "Shell> " "$tmp/$name.out" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.5
    done
    if ! grep -q "Shell> " "$tmp/$name.out"; then
        kill $pid 2>/dev/null; wait $pid; exec 4>&-; echo 124; return
    fi
    sleep 1
    printf 'reset -s\r' >&4
    for i in $(seq 120); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
    kill $pid 2>/dev/null
    wait $pid
    local rc=$?
    exec 4>&-
    echo $rc
}

rc=$(to_shell vmon "$VMON" run --accel soft -m 512 -nographic -bios "$OVMF")
if [ "$rc" = 0 ] && grep -q "UEFI Interactive Shell" "$tmp/vmon.out"; then
    echo "ok: vmon soft: OVMF to the UEFI shell, reset -s powers off (status 0)"
else
    echo "FAIL: vmon soft: OVMF: status $rc"; tail -c 2000 "$tmp/vmon.out" | cat -v; tail -5 "$tmp/vmon.err"; fail=1
fi
if command -v qemu-system-x86_64 >/dev/null; then
    rc=$(to_shell qemu qemu-system-x86_64 -accel tcg -m 512 -nographic -nodefaults -serial stdio \
        -bios "$OVMF" -net none)
    if [ "$rc" = 0 ]; then echo "ok: QEMU TCG: the same"; else echo "FAIL: QEMU TCG: status $rc"; fail=1; fi
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
