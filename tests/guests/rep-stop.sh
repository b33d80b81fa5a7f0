#!/usr/bin/env bash
# No guest outlasts a stop request (issue 9): the 64-bit test guest runs one rep string instruction
# with a count of 2^32 - 1 (test=rep, guest64.c) and vmon must end within a second of SIGTERM or of
# Ctrl-A x on stdin; on the soft CPU through translated code and, with --jit off, the interpreter,
# and under KVM where /dev/kvm opens. Exit 0 pass, 1 fail.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
KERNEL=$BUILD/guests/bz64.bzImage
[ -f "$KERNEL" ] || { echo "missing $KERNEL (make guests)"; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
LIMIT_MS=1000

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# stop_one ACCEL OP HOW [vmon options]: HOW is TERM (SIGTERM) or ctrl-a (Ctrl-A x on stdin).
stop_one() {
    local accel=$1 op=$2 how=$3 rc t0 ms
    shift 3
    rm -f "$tmp/in"
    mkfifo "$tmp/in"
    exec 3<>"$tmp/in"
    "$VMON" run --accel "$accel" --mem 64M --kernel "$KERNEL" --append "test=rep op=$op" "$@" \
        <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 600); do
        grep -q "rep $op running" "$tmp/out" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
    done
    local what="$accel${*:+ $*} rep $op, $how"
    if ! grep -q "rep $op running" "$tmp/out"; then
        echo "FAIL: $what: the guest did not start its rep"
        tail -n 5 "$tmp/out" "$tmp/err"
        kill -KILL $pid 2>/dev/null
        wait $pid 2>/dev/null
        pid= fail=1
        exec 3>&-
        return
    fi
    sleep 0.2
    t0=$(now_ms)
    if [ "$how" = TERM ]; then kill -TERM $pid; else printf '\001x' >&3; fi
    while kill -0 $pid 2>/dev/null && [ $(($(now_ms) - t0)) -lt $((5 * LIMIT_MS)) ]; do
        sleep 0.01
    done
    ms=$(($(now_ms) - t0))
    if kill -0 $pid 2>/dev/null; then
        kill -KILL $pid
        wait $pid 2>/dev/null
        pid= fail=1
        echo "FAIL: $what: vmon still running ${ms} ms later"
        exec 3>&-
        return
    fi
    wait $pid
    rc=$?
    pid=
    exec 3>&-
    if [ $ms -ge $LIMIT_MS ]; then
        echo "FAIL: $what: vmon took ${ms} ms to end (limit ${LIMIT_MS} ms)"
        fail=1
    elif [ $rc -ne 0 ] || grep -q 'rep ended' "$tmp/out"; then
        echo "FAIL: $what: exit status $rc, want 0 with the rep unfinished"
        tail -n 5 "$tmp/err"
        fail=1
    else
        echo "ok: $what: ended in ${ms} ms"
    fi
}

for op in outsb insb movsb stosb lodsb cmpsb scasb; do
    stop_one soft $op TERM
done
stop_one soft outsb ctrl-a
stop_one soft stosb ctrl-a
stop_one soft insb TERM --jit off
stop_one soft cmpsb ctrl-a --jit off
if (exec 3<>/dev/kvm) 2>/dev/null; then
    stop_one kvm outsb TERM
    stop_one kvm insb ctrl-a
    stop_one kvm movsb TERM
else
    echo "note: /dev/kvm not available: KVM cases not run"
fi
exit $fail
