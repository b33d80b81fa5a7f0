#!/usr/bin/env bash
# vmon run under KVM end to end, on the PIO bench guest (a multiboot ELF through the real loader):
# exit counting, QEMU's spellings, Ctrl-A x, SIGTERM/SIGINT, several vCPUs. Skipped without /dev/kvm.
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

printf 'abc\001x' | timeout 60 "$VMON" run --accel kvm --mem 32M --kernel "$GUEST" --append hold \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
check "Ctrl-A x ends a halted guest: status 0" test $rc -eq 0
check "Ctrl-A x says so" grep -q 'Ctrl-A x' "$tmp/err"

for sig in TERM INT; do
    ( exec "$VMON" run --accel kvm --cpus 4 --mem 32M --kernel "$GUEST" --append hold \
        </dev/null >"$tmp/out" 2>"$tmp/err" ) &
    pid=$!
    sleep 1
    kill -s $sig $pid
    for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
    if kill -0 $pid 2>/dev/null; then kill -KILL $pid; echo "FAIL: SIG$sig did not stop vmon"; fail=1; fi
    wait $pid
    rc=$?
    check "SIG$sig stops a 4-vCPU VM cleanly: status 0" test $rc -eq 0
    check "SIG$sig is reported" grep -q "terminating on signal" "$tmp/err"
done
# On a terminal: raw while the guest runs (Ctrl-A x arrives without a newline, so canonical mode is
# off), and the same settings afterwards, after Ctrl-A x and after SIGTERM.
if command -v script >/dev/null; then
    (sleep 1; printf '\001x') | timeout 30 script -qec "stty -g >$tmp/before; $VMON run --accel kvm \
        --mem 32M --kernel $GUEST --append hold; echo \$? >$tmp/status; stty -g >$tmp/after" \
        /dev/null >/dev/null 2>&1
    check "on a terminal, Ctrl-A x ends the guest: status 0" test "$(cat "$tmp/status" 2>/dev/null)" = 0
    check "the terminal is restored after Ctrl-A x" cmp -s "$tmp/before" "$tmp/after"
    rm -f "$tmp/before" "$tmp/after" "$tmp/status"
    (sleep 5) | timeout 30 script -qec "stty -g >$tmp/before; $VMON run --accel kvm --mem 32M \
        --kernel $GUEST --append hold & p=\$!; sleep 1; kill -TERM \$p; wait \$p; echo \$? >$tmp/status; \
        stty -g >$tmp/after" /dev/null >/dev/null 2>&1
    check "on a terminal, SIGTERM ends the guest: status 0" test "$(cat "$tmp/status" 2>/dev/null)" = 0
    check "the terminal is restored after SIGTERM" cmp -s "$tmp/before" "$tmp/after"
else
    echo "note: no script(1): terminal checks not run"
fi
exit $fail
