#!/usr/bin/env bash
# Crash safety of qcow2 metadata updates (lazy refcounts off).
# 1. Process crash: a writer doing random writes (each acknowledged by a flush) is killed with SIGKILL
#    at random moments, KILLS times on the same image; after each kill the image passes qemu-img
#    check (leaks allowed, exit 0 or 3) and every acknowledged write reads back, through vmon and,
#    every tenth time, through qemu-img convert.
# 2. Power loss: tests/img/blkio power replays the log of file writes and flushes up to 200 cut
#    points, keeping a random subset of the writes after the last flush (see blkio.c).
set -u
VMON=$(realpath "${VMON:-build/vmon}")
BLKIO=$(realpath "${BUILD:-build}/tests/img/blkio")
command -v qemu-img >/dev/null || { echo "skip: qemu-img (Debian qemu-utils) is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
KILLS=${KILLS:-200}
[ -n "${VMON_QUICK:-}" ] && KILLS=20
fail=0

"$VMON" img create -q -f qcow2 -o cluster_size=4096 "$T/k.qcow2" 8M
: >"$T/k.log"
acked=0
for i in $(seq 1 "$KILLS"); do
    "$BLKIO" writer "$T/k.qcow2" "$T/k.log" "$i" &
    pid=$!
    sleep "0.0$((RANDOM % 5))$((RANDOM % 10))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    qemu-img check -q "$T/k.qcow2" >"$T/check.out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
        echo "FAIL: kill $i: qemu-img check exit $rc"; head -5 "$T/check.out"; fail=1; break
    fi
    if [ $((i % 10)) -eq 0 ]; then
        cp "$T/k.log" "$T/k2.log"; [ -f "$T/state" ] && cp "$T/state" "$T/state2"
        qemu-img convert -O raw "$T/k.qcow2" "$T/k.raw" && "$BLKIO" verify "$T/k.raw" raw "$T/k2.log" "$T/state2" >/dev/null ||
            { echo "FAIL: kill $i: qemu-img reads other data"; fail=1; break; }
    fi
    acked=$((acked + $(grep -c '^E' "$T/k.log")))
    if ! "$BLKIO" verify "$T/k.qcow2" qcow2 "$T/k.log" "$T/state" >/dev/null; then
        echo "FAIL: kill $i: acknowledged writes lost"; fail=1; break
    fi
done
[ $fail -eq 0 ] && echo "process crash: $KILLS kills, every image consistent, $acked acknowledged writes read back"

# Power loss over several layouts; cut points add up to 204 (36 in the quick pass).
per=34
[ -n "${VMON_QUICK:-}" ] && per=6
for cfg in "65536 16 0 3" "4096 1 0 3" "512 16 0 2" "512 64 0 3" "32768 8 1 3" "2097152 16 0 3"; do
    set -- $cfg
    "$BLKIO" power "$T" "$1" "$2" "$3" "$4" "$per" "$RANDOM" || { echo "FAIL: power loss, cluster $1 refcount_bits $2 ext_l2 $3 v$4"; fail=1; }
done
exit $fail
