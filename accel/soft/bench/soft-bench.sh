#!/usr/bin/env bash
# Software CPU speed, in one run: million guest instructions per second on three loops (integer,
# branchy, memory copy + strlen) for the host running the same code natively (the physical limit),
# vmon --accel soft, and qemu-system-x86_64 -accel tcg, with ratios. vmon and QEMU run the same
# multiboot guest (32-bit protected mode); start-up is taken out by subtracting an n=1 run.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
GUEST=$BUILD/accel/soft/bench/guest.elf
NATIVE=$BUILD/accel/soft/bench/native

now() { date +%s.%N; }
# run_time CMD...: wall seconds of one run
run_time() {
    local t0 t1
    t0=$(now)
    "$@" </dev/null >/dev/null 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
vmon_run() { "$VMON" run --accel soft --mem 32M --kernel "$GUEST" --append "$1"; }
qemu_run() {
    qemu-system-x86_64 -accel tcg -m 32 -nographic -nodefaults -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$GUEST" -append "$1"
}
# mips RUNNER LOOP N PER: million instructions per second, start-up subtracted (best of 2)
mips() {
    local best=0 r k t t1
    for k in 1 2; do
        t=$(run_time "$1" "loop=$2 n=$3")
        t1=$(run_time "$1" "loop=$2 n=1")
        r=$(echo "$3 * $4 / ($t - $t1) / 1000000" | bc -l 2>/dev/null || echo 0)
        if [ "$(echo "$r > $best" | bc -l)" = 1 ]; then best=$r; fi
    done
    printf '%.0f' "$best"
}

echo "soft CPU bench ($(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
declare -A native
while read -r name rate; do native[$name]=$rate; done < <("$NATIVE")
have_qemu=1
command -v qemu-system-x86_64 >/dev/null || have_qemu=0
printf '%-8s %12s %12s %12s %14s %14s\n' loop "native M/s" "vmon M/s" "qemu-tcg M/s" "vmon/native" "vmon/qemu"
for spec in "int 30000000 5" "branch 20000000 8" "mem 30000 2310"; do
    set -- $spec
    v=$(mips vmon_run "$1" "$2" "$3")
    if [ $have_qemu = 1 ]; then q=$(mips qemu_run "$1" $(($2 * 10)) "$3"); else q=""; fi
    n=${native[$1]}
    printf '%-8s %12s %12s %12s %14s %14s\n' "$1" "$n" "$v" "${q:-n/a}" \
        "$(echo "scale=3; $v / $n" | bc)" "$([ -n "$q" ] && [ "$q" != 0 ] && echo "scale=2; $v / $q" | bc || echo n/a)"
done
