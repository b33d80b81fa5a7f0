#!/usr/bin/env bash
# PIO-exit round trip and memory overhead, vmon vs qemu-system-x86_64 -enable-kvm, on the same guest
# (benches/pio-guest.c): the time of COUNT `out` instructions from ring 0 and from ring 3, as the
# wall clock of a run minus that of a run with count=0 (boot and teardown), best of REPS; and peak RSS
# minus the guest RAM the guest touched (the Rss of the guest-RAM mapping), read while the guest
# halts. Env: BENCH_COUNT (default 1000000), BENCH_REPS (default 1), BENCH_MEM (MiB, default 64).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
GUEST=$BUILD/benches/pio-guest.elf
COUNT=${BENCH_COUNT:-1000000}
REPS=${BENCH_REPS:-1}
MEM=${BENCH_MEM:-64}
QEMU=${QEMU:-qemu-system-x86_64}

echo "== PIO exit round trip and RSS overhead: vmon vs QEMU ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, kernel $(uname -r)"
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "skip: /dev/kvm is not available here: the PIO-exit benchmark needs KVM"
    exit 0
fi
grep -qE '\b(vmx|svm)\b' /proc/cpuinfo || echo "note: this CPU shows no vmx/svm: KVM here emulates ring-0 code, so ring-0 numbers are slow for both VMMs"

vmon_cmd() { echo "$VMON run --accel kvm --mem ${MEM}M --kernel $GUEST --append"; }
qemu_cmd() {
    echo "$QEMU -enable-kvm -m $MEM -nographic -nodefaults -no-reboot -serial stdio" \
         "-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $GUEST -append"
}

# Seconds (with ns) of one run; the guest ends through isa-debug-exit 0, status 1.
time_run() {   # cmd-prefix, guest cmdline
    local start end rc
    start=$(date +%s%N)
    $1 "$2" </dev/null >/dev/null 2>&1
    rc=$?
    end=$(date +%s%N)
    [ "$rc" -eq 1 ] || { echo "ERR status $rc"; return 1; }
    echo $(( end - start ))
}

best_of() {    # cmd-prefix, guest cmdline -> best ns of REPS runs
    local best="" t
    for _ in $(seq "$REPS"); do
        t=$(time_run "$1" "$2") || { echo "$t"; return 1; }
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    echo "$best"
}

# Peak RSS (VmHWM) minus the Rss of the guest-RAM mapping (the anonymous mapping of about MEM MiB),
# in KiB, read once the guest is halted (its CPU time stops moving).
rss_overhead() {   # cmd-prefix
    ( exec $1 "hold" </dev/null >/dev/null 2>&1 ) &
    local pid=$! prev="" cur waited=0
    while [ $waited -lt 120 ]; do
        sleep 0.5; waited=$((waited + 1))
        [ -r "/proc/$pid/stat" ] || break
        cur=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        if [ "$cur" = "$prev" ]; then break; fi
        prev=$cur
    done
    local hwm guest
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null)
    guest=$(awk -v lo=$((MEM * 1024)) -v hi=$((MEM * 1024 + 8192)) '
        /^[0-9a-f]+-[0-9a-f]+ /{size=0}
        /^Size:/{size=$2}
        /^Rss:/{ if (size >= lo && size <= hi && $2 > best) best = $2 }
        END{print best + 0}' "/proc/$pid/smaps" 2>/dev/null)
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -n "$hwm" ] || { echo "ERR"; return 1; }
    echo "$hwm $guest"
}

per_exit_us() {   # total ns, base ns -> microseconds per exit, 3 decimals
    echo "scale=3; ($1 - $2) / $COUNT / 1000" | bc
}

declare -A R
measure() {   # name, cmd-prefix
    local base r0 r3
    base=$(best_of "$2" "count=0") || return 1
    r0=$(best_of "$2" "count=$COUNT") || return 1
    r3=$(best_of "$2" "count=$COUNT ring3") || return 1
    R[$1.ring0]=$(per_exit_us "$r0" "$base")
    R[$1.ring3]=$(per_exit_us "$r3" "$base")
    R[$1.base]=$(echo "scale=3; $base / 1000000000" | bc)
    read -r R[$1.hwm] R[$1.guest] <<<"$(rss_overhead "$2")"
    R[$1.over]=$(( ${R[$1.hwm]} - ${R[$1.guest]} ))
}

measure vmon "$(vmon_cmd)" || { echo "vmon run failed"; exit 1; }
qemu_ok=1
if ! command -v "$QEMU" >/dev/null; then
    qemu_ok=0; qemu_why="not installed"
else
    # Can QEMU run this guest with KVM here? Its first line of complaint says why not.
    errf=$(mktemp)
    timeout 60 $(qemu_cmd) "count=0" </dev/null >/dev/null 2>"$errf"
    if [ $? -ne 1 ]; then
        why=$(grep -v warning "$errf" | head -n1)
        qemu_ok=0; qemu_why="cannot run with KVM here${why:+: $why}"
    fi
    rm -f "$errf"
fi
if [ $qemu_ok = 1 ] && ! measure qemu "$(qemu_cmd)"; then
    qemu_ok=0; qemu_why="its run failed"
fi

ratio() { if [ $qemu_ok = 1 ]; then echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; else echo "-"; fi; }
q() { if [ $qemu_ok = 1 ]; then echo "${R[qemu.$1]}"; else echo "n/a ($qemu_why)"; fi; }

printf '%-34s %14s %14s %8s\n' "COUNT=$COUNT, best of $REPS" "vmon" "QEMU+KVM" "ratio"
printf '%-34s %14s %14s %8s\n' "PIO exit, ring 0 (us/exit)" "${R[vmon.ring0]}" "$(q ring0)" "$(ratio "${R[vmon.ring0]}" "${R[qemu.ring0]:-1}")"
printf '%-34s %14s %14s %8s\n' "PIO exit, ring 3 (us/exit)" "${R[vmon.ring3]}" "$(q ring3)" "$(ratio "${R[vmon.ring3]}" "${R[qemu.ring3]:-1}")"
printf '%-34s %14s %14s %8s\n' "boot+exit, count=0 (s)" "${R[vmon.base]}" "$(q base)" "$(ratio "${R[vmon.base]}" "${R[qemu.base]:-1}")"
printf '%-34s %14s %14s %8s\n' "peak RSS (KiB)" "${R[vmon.hwm]}" "$(q hwm)" "$(ratio "${R[vmon.hwm]}" "${R[qemu.hwm]:-1}")"
printf '%-34s %14s %14s %8s\n' "guest RAM touched (KiB)" "${R[vmon.guest]}" "$(q guest)" ""
printf '%-34s %14s %14s %8s\n' "RSS overhead (KiB)" "${R[vmon.over]}" "$(q over)" "$(ratio "${R[vmon.over]}" "${R[qemu.over]:-1}")"
