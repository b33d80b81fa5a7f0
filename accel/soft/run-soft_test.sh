#!/usr/bin/env bash
# vmon run on the software CPU end to end, on the core's PIO bench guest (a multiboot ELF through the
# real loader): exits counted under --exit-stats, QEMU's -accel tcg spelling, ring-3 port I/O,
# Ctrl-A x, SIGTERM/SIGINT with 4 vCPUs, --trace output, and a triple fault ending vmon with status 1
# and a register dump (also for an ELF entered at 0xffffffffffffffff).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
GUEST=$BUILD/benches/pio-guest.elf
[ -f "$GUEST" ] || { echo "missing $GUEST (make build-tests)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {   # description, condition (a command)
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; sed 's/^/    /' "$tmp/err" | tail -n 20; fail=1; fi
}

timeout 120 "$VMON" run --accel soft --mem 32M --kernel "$GUEST" --append "count=1000" --exit-stats \
    </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "1000 outs, then debug-exit 0: status 1" test $rc -eq 1
check "--exit-stats counts the 1000 port-0x80 exits" grep -qE '^ +pio 0x80 +1000$' "$tmp/err"
check "--exit-stats counts the debug-exit write" grep -qE '^ +pio 0xf4 +1$' "$tmp/err"

timeout 120 "$VMON" -accel tcg -m 32 -smp 1 -nographic -nodefaults -no-reboot -serial stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" -append "count=10 ring3" \
    </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "QEMU spelling (-accel tcg), ring-3 outs: status 1" test $rc -eq 1

timeout 120 "$VMON" run --accel soft --mem 32M --kernel "$GUEST" --append "count=3" \
    --trace "$tmp/trace" </dev/null >"$tmp/out" 2>"$tmp/err"
check "--trace writes QEMU-style records (Trace/RIP lines)" \
    bash -c "grep -q '^Trace 0: ' '$tmp/trace' && grep -qE '^(RIP|EIP)=' '$tmp/trace'"

. "$(dirname "$0")/../run-control.sh"
check_control soft
check_entry_top soft

# A guest that triple-faults: a multiboot kernel whose first instruction loads an empty IDT and
# divides by zero (#DE -> #GP on the IDT limit -> #DF -> triple fault).
cat >"$tmp/tf.S" <<'ASM'
    .section .text
    .code32
    .globl _start
    .align 4
mb: .long 0x1badb002, 0x00010003, -(0x1badb002 + 0x00010003)
    .long mb, mb, end, end, _start
_start:
    lidt idt0
    xor %ecx, %ecx
    div %ecx
1:  jmp 1b
idt0: .word 0
    .long 0
end:
ASM
if gcc -m32 -nostdlib -static -Wl,-Ttext=0x100000 -Wl,--build-id=none -o "$tmp/tf.elf" "$tmp/tf.S" \
        2>"$tmp/err"; then
    timeout 60 "$VMON" run --accel soft --mem 32M --kernel "$tmp/tf.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "a triple fault ends vmon with status 1" test $rc -eq 1
    check "... with a message and a register dump" \
        bash -c "grep -q 'triple fault' '$tmp/err' && grep -q '^RIP=' '$tmp/err'"
else
    echo "note: no 32-bit toolchain: triple-fault check not run"
fi
exit $fail
