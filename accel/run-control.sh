# Sourced by accel/*/run-*_test.sh: a VM stays controllable whichever accelerator runs it. Ctrl-A x
# on stdin, SIGTERM and SIGINT with 4 vCPUs, and on a terminal the same with the terminal's settings
# restored afterwards. Needs VMON, GUEST (a guest that takes --append hold: it halts forever), tmp
# and check() from the sourcing script; call check_control ACCEL. check_entry_top ACCEL: a 64-bit
# ELF entered at 0xffffffffffffffff (unmapped, no IDT) ends in a triple fault, not a spin.
check_control() {
    local accel=$1 sig pid rc
    printf 'abc\001x' | timeout 60 "$VMON" run --accel "$accel" --mem 32M --kernel "$GUEST" \
        --append hold >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "Ctrl-A x ends a halted guest: status 0" test $rc -eq 0
    check "Ctrl-A x says so" grep -q 'Ctrl-A x' "$tmp/err"

    for sig in TERM INT; do
        ( exec "$VMON" run --accel "$accel" --cpus 4 --mem 32M --kernel "$GUEST" --append hold \
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

    # On a terminal: raw while the guest runs (Ctrl-A x arrives without a newline, so canonical
    # mode is off), and the same settings afterwards, after Ctrl-A x and after SIGTERM.
    if ! command -v script >/dev/null; then
        echo "note: no script(1): terminal checks not run"
        return
    fi
    (sleep 1; printf '\001x') | timeout 30 script -qec "stty -g >$tmp/before; $VMON run --accel $accel \
        --mem 32M --kernel $GUEST --append hold; echo \$? >$tmp/status; stty -g >$tmp/after" \
        /dev/null >/dev/null 2>&1
    check "on a terminal, Ctrl-A x ends the guest: status 0" test "$(cat "$tmp/status" 2>/dev/null)" = 0
    check "the terminal is restored after Ctrl-A x" cmp -s "$tmp/before" "$tmp/after"
    rm -f "$tmp/before" "$tmp/after" "$tmp/status"
    (sleep 5) | timeout 30 script -qec "stty -g >$tmp/before; $VMON run --accel $accel --mem 32M \
        --kernel $GUEST --append hold & p=\$!; sleep 1; kill -TERM \$p; wait \$p; echo \$? >$tmp/status; \
        stty -g >$tmp/after" /dev/null >/dev/null 2>&1
    check "on a terminal, SIGTERM ends the guest: status 0" test "$(cat "$tmp/status" 2>/dev/null)" = 0
    check "the terminal is restored after SIGTERM" cmp -s "$tmp/before" "$tmp/after"
}

check_entry_top() {
    local accel=$1 rc
    printf '.text\n.globl _start\n_start: hlt\n' >"$tmp/top.S"
    if ! gcc -nostdlib -static -Wl,-Ttext=0x200000 -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none \
            -Wl,-e,0xffffffffffffffff -o "$tmp/top.elf" "$tmp/top.S" 2>"$tmp/err"; then
        echo "note: no toolchain: entry at 0xffffffffffffffff not checked"
        return
    fi
    timeout 20 "$VMON" run --accel "$accel" --mem 32M --kernel "$tmp/top.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "an ELF entered at 0xffffffffffffffff triple-faults: status 1" test $rc -eq 1
    check "... with a message and RIP=ffffffffffffffff" \
        bash -c "grep -q 'triple fault' '$tmp/err' && grep -q '^RIP=ffffffffffffffff' '$tmp/err'"
}
