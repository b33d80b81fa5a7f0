#!/usr/bin/env bash
# Debian 12's cloud kernel under --accel soft, one vCPU: the initramfs prints its marker, runs
# `uname -a; cat /proc/cpuinfo` and a `sleep 5` between two `date`s, and powers off. The sleep
# must take 4-6 s by the guest's clock and by the host's (the guest's timers and TSC run at the
# host's rate), timed on the host from when each date line reaches the serial port; during the
# sleep the guest halts, and vmon must then use less than half a host CPU. With VMON_PERF_MAP=1 vmon
# writes perf's /tmp/perf-PID.map: a line per translated block, named by guest rip and privilege.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
# vmon's utime + stime (proc(5)), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo -; }
# busybox's date has whole seconds only: /proc/uptime (centiseconds) is the precise guest clock. The
# last sleep keeps vmon alive while the host reads its CPU time after CLOCK-B.
cmd='uname -a; cat /proc/cpuinfo; echo CLOCK-A $(date +%s) $(cut -d" " -f1 /proc/uptime); sleep 5;
echo CLOCK-B $(date +%s) $(cut -d" " -f1 /proc/uptime); sleep 1'
VMON_PERF_MAP=1 "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$cmd")" </dev/null >"$log" 2>"$log.err" &
VMON_PID=$!
wait_for "$log" '^CLOCK-A ' "$BOOT_TIMEOUT" || fail "no CLOCK-A line: $(tail -n 5 "$log")"
host_a=$(date +%s.%N)
cpu_a=$(cpu_ticks "$VMON_PID")
wait_for "$log" '^CLOCK-B ' 30 || fail "no CLOCK-B line 30 s after CLOCK-A"
host_b=$(date +%s.%N)
cpu_b=$(cpu_ticks "$VMON_PID")
for _ in $(seq 600); do kill -0 "$VMON_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$VMON_PID" 2>/dev/null && fail "vmon still runs 60 s after CLOCK-B (the guest should power off)"
wait "$VMON_PID"
RC=$?
map=/tmp/perf-$VMON_PID.map
VMON_PID=
nk=$(grep -cE '^[0-9a-f]+ [0-9a-f]+ guest:kernel:[0-9a-f]+$' "$map" 2>/dev/null)
nu=$(grep -cE '^[0-9a-f]+ [0-9a-f]+ guest:user:[0-9a-f]+$' "$map" 2>/dev/null)
nall=$(wc -l <"$map" 2>/dev/null || echo 0)
rm -f "$map"
[ "${nk:-0}" -ge 1000 ] && [ "${nu:-0}" -ge 10 ] && [ "$nall" -eq $((nk + nu)) ] ||
    fail "VMON_PERF_MAP: $map has ${nk:-0} kernel and ${nu:-0} user blocks of $nall lines"
ok "VMON_PERF_MAP: $nk kernel and $nu user blocks in perf's map"
expect_booted "$log"
expect_line "$log" '^Linux .* 6\.1\..*-cloud-amd64 .* x86_64' "uname -a names the cloud kernel"
expect_line "$log" '^vendor_id' "/proc/cpuinfo printed"
n=$(grep -ac '^processor' "$log")
[ "$n" -eq 1 ] || fail "/proc/cpuinfo lists $n processors, want 1"
ok "/proc/cpuinfo lists 1 processor"
in_range() { echo "$1 >= 4 && $1 <= 6" | bc -l | grep -qx 1; }
read -r date_a up_a < <(sed -n 's/^CLOCK-A \([0-9]*\) \([0-9.]*\).*/\1 \2/p' "$log" | tr -d '\r')
read -r date_b up_b < <(sed -n 's/^CLOCK-B \([0-9]*\) \([0-9.]*\).*/\1 \2/p' "$log" | tr -d '\r')
[ -n "${up_a:-}" ] && [ -n "${up_b:-}" ] || fail "CLOCK lines without date and uptime"
dd=$((date_b - date_a))
gd=$(echo "$up_b - $up_a" | bc -l)
hd=$(echo "$host_b - $host_a" | bc -l)
printf 'sleep 5: %d s by the guest date, %.2f s by its /proc/uptime, %.2f s by the host clock\n' "$dd" "$gd" "$hd"
in_range "$dd" || fail "sleep 5 took $dd s by the guest's date, want 4-6"
in_range "$gd" || fail "sleep 5 took $gd s by the guest's /proc/uptime, want 4-6"
in_range "$hd" || fail "sleep 5 took $hd s by the host clock, want 4-6"
ok "the guest clock runs at the host's rate"
# While the guest sleeps it halts: vmon must not spin a host CPU (hlt sleeps until the next timer).
[ "$cpu_a" != - ] && [ "$cpu_b" != - ] || fail "could not read vmon's CPU time from /proc"
idle=$(echo "($cpu_b - $cpu_a) / $(getconf CLK_TCK)" | bc -l)
printf 'vmon used %.2f s of CPU during those %.2f s\n' "$idle" "$hd"
[ "$(echo "$idle < $hd / 2" | bc -l)" = 1 ] || fail "vmon used $idle s of CPU while the guest slept $hd s"
ok "the idle guest leaves the host CPU idle"
