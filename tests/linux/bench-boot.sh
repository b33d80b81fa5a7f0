#!/usr/bin/env bash
# Linux boot time, vmon --accel soft vs qemu-system-x86_64 -accel tcg, on the same kernel and
# initramfs, side by side in one run: wall seconds from start to the marker line (VMON-GUEST-READY
# on the serial port) and to the end of the process after the guest's poweroff, with 1 and 2 vCPUs
# (QEMU -smp 1/2), and the ratio vmon/QEMU (< 1: vmon is faster). Each cell is the best of REPS
# runs; the user CPU seconds of that run are shown too, since on a shared machine wall time also
# measures the neighbours. A second table gives each VMM's memory overhead in the same runs: its peak
# resident memory less the resident pages of the guest-RAM mapping, from /proc/PID/smaps sampled
# every 0.1 s (memsample.py; vmon's code cache, QEMU's TCG buffer and both VMMs' own heaps are in it).
# Env: BENCH_REPS (default 1), BENCH_KERNEL, BENCH_INITRD, BENCH_CPUS (default "1 2"), QEMU.
set -u
. "$(dirname "$0")/../../benches/lib.sh"
REPS=${BENCH_REPS:-1}
CPUS=${BENCH_CPUS:-1 2}
APPEND="console=ttyS0 quiet vmon.cmd=uname"
TIMEOUT=600
RAM_MIB=512
here=$(cd "$(dirname "$0")" && pwd)

bench_header "Linux boot: vmon --accel soft vs QEMU -accel tcg"
if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
    echo "skip: $KERNEL or $INITRD missing (make guest-linux)"
    exit 0
fi
have_qemu=1
command -v "$QEMU" >/dev/null || have_qemu=0
echo "guest: $KERNEL ($(stat -c %s "$KERNEL") bytes), $INITRD, cmdline: $APPEND"

# timed_boot CMD...: runs CMD with its output timestamped and its memory sampled; prints "marker end
# user" (seconds) and "overhead rss" (peak MiB), or "- - - - -" when the run failed or the marker
# never came.
timed_boot() {
    local out rc mem
    out=$(mktemp)
    mem=$(mktemp)
    # The reader stamps the marker line when it arrives (QEMU -nographic puts terminal escapes before
    # the first line, so the marker may not start it); bash's time gives the run's user CPU.
    local t0 t_mark=-
    t0=$(date +%s.%N)
    { TIMEFORMAT='VMON-BENCH-USER %U'; time timeout "$TIMEOUT" python3 "$here/memsample.py" "$mem" $((RAM_MIB << 20)) "$@" </dev/null 2>&1; echo "VMON-BENCH-RC $?"; } 2>&1 |
        while IFS= read -r line; do
            case $line in
                *VMON-GUEST-READY*) echo "MARK $(date +%s.%N)";;
                VMON-BENCH-*) echo "$line";;
            esac
        done >"$out"
    local t_end
    t_end=$(date +%s.%N)
    rc=$(sed -n 's/^VMON-BENCH-RC //p' "$out")
    local mark user
    mark=$(sed -n 's/^MARK //p' "$out")
    user=$(sed -n 's/^VMON-BENCH-USER //p' "$out")
    local over rss
    read -r over rss _ <"$mem"
    rm -f "$out" "$mem"
    if [ "$rc" != 0 ] || [ -z "$mark" ]; then
        echo "- - - - -"
        return
    fi
    printf '%.2f %.2f %s %s %s\n' "$(echo "$mark - $t0" | bc -l)" "$(echo "$t_end - $t0" | bc -l)" "${user:--}" \
        "$(mib "${over:--}")" "$(mib "${rss:--}")"
}

mib() { if [ "$1" = - ]; then echo -; else printf '%.1f' "$(echo "$1 / 1024" | bc -l)"; fi; }

best_of() {   # best_of CMD...: the run with the smallest time to poweroff
    local best="- - - - -" r
    for _ in $(seq "$REPS"); do
        r=$(timed_boot "$@")
        [ "${r%% *}" = - ] && continue
        if [ "$best" = "- - - - -" ] || [ "$(echo "$(echo "$r" | cut -d' ' -f2) < $(echo "$best" | cut -d' ' -f2)" | bc -l)" = 1 ]; then
            best=$r
        fi
    done
    echo "$best"
}

ratio() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else printf "%.2fx" "$(echo "$1 / $2" | bc -l)"; fi; }

memrows=()
printf '%-4s | %-25s | %-25s | %s\n' "" "vmon soft (s)" "QEMU tcg (s)" "ratio vmon/QEMU"
printf '%-4s | %7s %7s %9s | %7s %7s %9s | %6s %6s %6s\n' cpus marker end "user CPU" marker end "user CPU" marker end CPU
printf '%s\n' "-----+---------------------------+---------------------------+---------------------"
for n in $CPUS; do
    v=$(best_of "$VMON" run --accel soft --mem "${RAM_MIB}M" --cpus "$n" --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND")
    if [ "$have_qemu" = 1 ]; then
        q=$(best_of "$QEMU" -accel tcg -m "$RAM_MIB" -smp "$n" -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
            -nographic -nodefaults -serial stdio -no-reboot)
    else
        q="- - - - -"
    fi
    read -r vm ve vu vo vr <<<"$v"
    read -r qm qe qu qo qr <<<"$q"
    memrows+=("$(printf '%-4s | %10s %9s | %10s %9s | %8s' "$n" "$vo" "$vr" "$qo" "$qr" "$(ratio "$vo" "$qo")")")
    printf '%-4s | %7s %7s %9s | %7s %7s %9s | %6s %6s %6s\n' "$n" "$vm" "$ve" "$vu" "$qm" "$qe" "$qu" \
        "$(ratio "$vm" "$qm")" "$(ratio "$ve" "$qe")" "$(ratio "$vu" "$qu")"
done
echo
echo "memory during the same runs (MiB, peak; overhead = RSS - guest RAM's resident pages, from smaps)"
printf '%-4s | %-20s | %-20s | %s\n' "" "vmon soft" "QEMU tcg" "ratio"
printf '%-4s | %10s %9s | %10s %9s | %8s\n' cpus overhead RSS overhead RSS overhead
printf '%s\n' "-----+----------------------+----------------------+----------"
for r in "${memrows[@]}"; do echo "$r"; done
[ "$have_qemu" = 1 ] || echo "QEMU: $QEMU not found, its columns are empty"
echo "ratio = vmon time / QEMU time (bar: <= 3x; target: < 1x)"
