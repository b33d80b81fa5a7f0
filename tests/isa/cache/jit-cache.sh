#!/usr/bin/env bash
# The software CPU's code cache bounded (accel/soft/tb.c): the code-cache guest (guest.c here), whose
# code is many times a 1 MiB cache, runs under --jit-cache 1M and QEMU's -accel tcg,tb-size=1; it must
# pass its checks, print what an interpreting run (--jit off) and a run with the default cache print,
# flush its cache many times, and never hold more than the limit (--exit-stats' high-water marks).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
elf=$BUILD/isa/cache-guest.elf
for f in "$elf" "$VMON"; do
    [ -e "$f" ] || { echo "jit-cache: $f is missing (make builds it)"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

run() {   # run NAME ARGS...: the guest's lines in NAME.out, vmon's stderr in NAME.err
    local name=$1; shift
    timeout 300 "$VMON" "$@" --exit-stats </dev/null >"$work/$name.out" 2>"$work/$name.err"
    local rc=$?
    if [ "$rc" != 1 ] || ! grep -q '^SUMMARY [0-9]* passed, 0 failed' "$work/$name.out"; then
        echo "FAIL $name: status $rc (want 1: isa-debug-exit 0)"; tail -5 "$work/$name.out" "$work/$name.err"
        fail=1
    fi
    grep -E '^(round|PASS|FAIL)' "$work/$name.out" | tr -d '\r' >"$work/$name.res"
}

# The cache's figures: limit blocks_high host_high translations flushes (vCPU 0).
stats() {
    sed -n 's/^jit cache vcpu 0: limit \([0-9]*\), blocks high \([0-9]*\), host code high \([0-9]*\), \([0-9]*\) translations, \([0-9]*\) flushes$/\1 \2 \3 \4 \5/p' "$work/$1.err"
}

check_small() {   # check_small NAME: a 1 MiB cache that was flushed and stayed within its limit
    read -r limit blocks host tr fl <<<"$(stats "$1")"
    if [ -z "${limit:-}" ]; then
        echo "FAIL $1: no jit cache line in --exit-stats"; fail=1; return
    fi
    echo "$1: limit $limit, blocks high $blocks, host code high $host, $tr translations, $fl flushes"
    [ "$limit" = 1048576 ] || { echo "FAIL $1: limit $limit, want 1048576"; fail=1; }
    [ $((blocks + host)) -le "$limit" ] || { echo "FAIL $1: held $((blocks + host)) > $limit"; fail=1; }
    [ "$host" -gt 0 ] || { echo "FAIL $1: no block was translated to host code"; fail=1; }
    [ "$fl" -ge 10 ] || { echo "FAIL $1: $fl flushes; the guest's code is >10x the cache"; fail=1; }
}

run small run --accel soft --kernel "$elf" --mem 64M --jit-cache 1M
check_small small
run qemu -accel tcg,tb-size=1 -kernel "$elf" -m 64 -nographic
check_small qemu
run interp run --accel soft --kernel "$elf" --mem 64M --jit-cache 1M --jit off
run default run --accel soft --kernel "$elf" --mem 64M
read -r limit blocks host tr fl <<<"$(stats default)"
echo "default: limit ${limit:-?}, blocks high ${blocks:-?}, host code high ${host:-?}, ${fl:-?} flushes"
[ "${fl:-x}" = 0 ] || { echo "FAIL default: ${fl:-no} flushes with the default cache"; fail=1; }
for r in qemu interp default; do
    cmp -s "$work/small.res" "$work/$r.res" || { echo "FAIL $r: results differ from --jit-cache 1M's:";
        diff "$work/small.res" "$work/$r.res" | head -5; fail=1; }
done
[ -s "$work/small.res" ] || { echo "FAIL: the guest printed no results"; fail=1; }
[ $fail = 0 ] && echo "jit-cache: PASS"
exit $fail
