#!/usr/bin/env bash
# vmon run under KVM end to end, on the PIO bench guest (a multiboot ELF through the real loader):
# exit counting, QEMU's spellings, Ctrl-A x, SIGTERM/SIGINT, several vCPUs, a triple fault
# at entry 0xffffffffffffffff. Skipped without /dev/kvm.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
GUEST=$BUILD/benches/pio-guest.elf
if ! { exec 3<>/dev/kvm; } 2>/dev/null; then
    echo "skip: /dev/kvm cannot be opened here"
    exit 77
fi
exec 3<&-
[ -f "$GUEST" ] || { echo "missing $GUEST (make build-tests)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {   # description, condition (a command)
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; sed 's/^/    /' "$tmp/err"; fail=1; fi
}

timeout 120 "$VMON" run --accel kvm --mem 32M --kernel "$GUEST" --append "count=1000" --exit-stats \
    </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "1000 outs, then debug-exit 0: status 1" test $rc -eq 1
check "--exit-stats counts the 1000 port-0x80 exits" grep -qE '^ +pio 0x80 +1000$' "$tmp/err"
check "--exit-stats counts the debug-exit write" grep -qE '^ +pio 0xf4 +1$' "$tmp/err"

timeout 120 "$VMON" -enable-kvm -m 32 -smp 1 -nographic -nodefaults -no-reboot -serial stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append "count=10 ring3" \
    </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "QEMU spelling, ring-3 outs: status 1" test $rc -eq 1

timeout 60 "$VMON" run --accel kvm --mem 32M --kernel "$GUEST" --trace "$tmp/trace" </dev/null \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
check "--trace under KVM is refused: status 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1

timeout 60 "$VMON" run --accel kvm --mem 32M --kernel "$GUEST" --append crash </dev/null \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a triple fault (empty IDT, int3) is a crash: status 1" test $rc -eq 1
check "the crash prints the registers" grep -q '^RIP=' "$tmp/err"
check "the crash prints the bytes at RIP (int3 = cc)" grep -q '^code at .*: cc ' "$tmp/err"

. "$(dirname "$0")/../run-control.sh"
check_control kvm
check_entry_top kvm
exit $fail
