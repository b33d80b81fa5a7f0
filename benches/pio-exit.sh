#!/usr/bin/env bash
# PIO-exit round trip and memory overhead, vmon vs qemu-system-x86_64 -enable-kvm, on the same guest
# (benches/pio-guest.c, a multiboot ELF both load with -kernel):
#  - round trip: COUNT `out` instructions from ring 0 and from ring 3; a run's wall clock minus that of
#    a run with count=0 (boot and teardown), divided by COUNT. Runs of the two VMMs alternate, and each
#    figure is the best of REPS, so load from other processes hits both alike. The CPU time (user+sys,
#    guest time included) of the same runs is shown too: it is steadier than the wall clock on a busy
#    machine.
#  - memory: peak RSS (VmHWM) minus the guest RAM the guest touched (the Rss of the guest-RAM
#    mapping), read while the guest halts.
# Env: BENCH_COUNT (default 1000000), BENCH_REPS (default 3), BENCH_MEM (MiB, default 64).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
GUEST=$BUILD/benches/pio-guest.elf
COUNT=${BENCH_COUNT:-1000000}
REPS=${BENCH_REPS:-3}
MEM=${BENCH_MEM:-64}
QEMU=${QEMU:-qemu-system-x86_64}

echo "== PIO exit round trip and RSS overhead: vmon vs QEMU ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs," \
     "kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ! { exec 3<>/dev/kvm; } 2>/dev/null; then
    echo "skip: /dev/kvm cannot be opened here: the PIO-exit benchmark needs KVM"
    exit 0
fi
exec 3<&-
grep -qwE 'vmx|svm' /proc/cpuinfo ||
    echo "note: no vmx/svm on this CPU: KVM here emulates guest ring-0 code, which slows ring 0 for both VMMs"

VMON_CMD="$VMON run --accel kvm --mem ${MEM}M --kernel $GUEST --append"
QEMU_CMD="$QEMU -enable-kvm -m $MEM -nographic -nodefaults -no-reboot -serial stdio \
-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $GUEST -append"

# One run: "wall_ns cpu_ns". The guest ends through isa-debug-exit 0: status 1.
run_once() {   # command prefix, guest cmdline
    local start end rc t0 t1 me=$BASHPID
    t0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)   # CPU ticks of waited-for children
    start=$(date +%s%N)
    $1 "$2" </dev/null >/dev/null 2>&1
    rc=$?
    end=$(date +%s%N)
    [ "$rc" -eq 1 ] || return 1
    t1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
    echo "$(( end - start )) $(( (t1 - t0) * 1000000000 / $(getconf CLK_TCK) ))"
}

declare -A W C   # best wall / CPU ns per "vmm.case"
record() {   # key, "wall cpu"
    local w c
    read -r w c <<<"$2"
    if [ -z "${W[$1]:-}" ] || [ "$w" -lt "${W[$1]}" ]; then W[$1]=$w; fi
    if [ -z "${C[$1]:-}" ] || [ "$c" -lt "${C[$1]}" ]; then C[$1]=$c; fi
}

# Can QEMU run this guest with KVM here? Its first line of complaint says why not.
qemu_ok=1 qemu_why=
if ! command -v "$QEMU" >/dev/null; then
    qemu_ok=0 qemu_why="not installed"
else
    errf=$(mktemp)
    timeout 120 $QEMU_CMD "count=0" </dev/null >/dev/null 2>"$errf"
    if [ $? -ne 1 ]; then
        qemu_ok=0 qemu_why="cannot run with KVM here: $(grep -v warning "$errf" | head -n1)"
    fi
    rm -f "$errf"
fi

cases=("base:count=0" "ring0:count=$COUNT" "ring3:count=$COUNT ring3")
for rep in $(seq "$REPS"); do
    for c in "${cases[@]}"; do
        r=$(run_once "$VMON_CMD" "${c#*:}") || { echo "vmon run failed (${c#*:})"; exit 1; }
        record "vmon.${c%%:*}" "$r"
        if [ $qemu_ok = 1 ]; then
            if r=$(run_once "$QEMU_CMD" "${c#*:}"); then
                record "qemu.${c%%:*}" "$r"
            else
                qemu_ok=0 qemu_why="its run failed"
            fi
        fi
    done
    echo "  (round $rep of $REPS done)"
done

# Peak RSS minus the Rss of the guest-RAM mapping (the anonymous mapping of about MEM MiB), in KiB,
# read once the guest is halted (its CPU time stops moving).
rss() {   # command prefix -> "peak guest"
    ( exec $1 "hold" </dev/null >/dev/null 2>&1 ) &
    local pid=$! prev="" cur waited=0 hwm guest
    while [ $waited -lt 240 ]; do
        sleep 0.5; waited=$((waited + 1))
        [ -r "/proc/$pid/stat" ] || break
        cur=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        [ "$cur" = "$prev" ] && break
        prev=$cur
    done
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null)
    guest=$(awk -v lo=$((MEM * 1024)) -v hi=$((MEM * 1024 + 8192)) '
        /^[0-9a-f]+-[0-9a-f]+ /{size=0}
        /^Size:/{size=$2}
        /^Rss:/{ if (size >= lo && size <= hi && $2 > best) best = $2 }
        END{print best + 0}' "/proc/$pid/smaps" 2>/dev/null)
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -n "$hwm" ] && echo "$hwm $guest"
}
read -r vmon_hwm vmon_guest <<<"$(rss "$VMON_CMD")"
[ $qemu_ok = 1 ] && read -r qemu_hwm qemu_guest <<<"$(rss "$QEMU_CMD")"

us() { echo "scale=2; ($1 - $2) / $COUNT / 1000" | bc | sed 's/^\./0./'; }
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
row() {   # label, vmon value, qemu value (numbers; the ratio is vmon / qemu)
    if [ $qemu_ok = 1 ]; then
        printf '%-36s %12s %12s %8s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"
    else
        printf '%-36s %12s %12s\n' "$1" "$2" "n/a ($qemu_why)"
    fi
}
q() { [ $qemu_ok = 1 ] && eval echo "\${$1}" || echo 0; }

printf '%-36s %12s %12s %8s\n' "COUNT=$COUNT, best of $REPS" "vmon" "QEMU+KVM" "vmon/QEMU"
for m in ring0 ring3; do
    row "PIO exit, $m, wall (us/exit)" "$(us "${W[vmon.$m]}" "${W[vmon.base]}")" \
        "$([ $qemu_ok = 1 ] && us "${W[qemu.$m]}" "${W[qemu.base]}" || echo 0)"
    row "PIO exit, $m, CPU (us/exit)" "$(us "${C[vmon.$m]}" "${C[vmon.base]}")" \
        "$([ $qemu_ok = 1 ] && us "${C[qemu.$m]}" "${C[qemu.base]}" || echo 0)"
done
row "boot + exit, count=0, wall (ms)" "$(( W[vmon.base] / 1000000 ))" \
    "$([ $qemu_ok = 1 ] && echo $(( W[qemu.base] / 1000000 )) || echo 0)"
row "peak RSS (KiB)" "$vmon_hwm" "$(q qemu_hwm)"
row "guest RAM touched (KiB)" "$vmon_guest" "$(q qemu_guest)"
row "RSS overhead: peak - guest RAM (KiB)" "$((vmon_hwm - vmon_guest))" \
    "$([ $qemu_ok = 1 ] && echo $((qemu_hwm - qemu_guest)) || echo 0)"
