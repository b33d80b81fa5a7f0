#!/usr/bin/env bash
# Debian 12's cloud kernel under --accel soft, one vCPU: the initramfs prints its marker, runs
# `uname -a; cat /proc/cpuinfo` and a `sleep 5` between two `date`s, and powers off. The sleep
# must take 4-6 s by the guest's clock and by the host's (the guest's timers and TSC run at the
# host's rate), timed on the host from when each date line reaches the serial port.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
cmd='uname -a; cat /proc/cpuinfo; echo CLOCK-A $(date +%s.%N); sleep 5; echo CLOCK-B $(date +%s.%N)'
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$cmd")" </dev/null >"$log" 2>"$log.err" &
VMON_PID=$!
wait_for "$log" '^CLOCK-A ' "$BOOT_TIMEOUT" || fail "no CLOCK-A line: $(tail -n 5 "$log")"
host_a=$(date +%s.%N)
wait_for "$log" '^CLOCK-B ' 30 || fail "no CLOCK-B line 30 s after CLOCK-A"
host_b=$(date +%s.%N)
wait "$VMON_PID"
RC=$?
VMON_PID=
expect_booted "$log"
expect_line "$log" '^Linux .* 6\.1\..*-cloud-amd64 .* x86_64' "uname -a names the cloud kernel"
expect_line "$log" '^vendor_id' "/proc/cpuinfo printed"
n=$(grep -ac '^processor' "$log")
[ "$n" -eq 1 ] || fail "/proc/cpuinfo lists $n processors, want 1"
ok "/proc/cpuinfo lists 1 processor"
in_range() { echo "$1 >= 4 && $1 <= 6" | bc -l | grep -qx 1; }
guest_a=$(sed -n 's/^CLOCK-A \([0-9.]*\).*/\1/p' "$log" | tr -d '\r')
guest_b=$(sed -n 's/^CLOCK-B \([0-9.]*\).*/\1/p' "$log" | tr -d '\r')
gd=$(echo "$guest_b - $guest_a" | bc -l)
hd=$(echo "$host_b - $host_a" | bc -l)
printf 'sleep 5: %.2f s by the guest clock, %.2f s by the host clock\n' "$gd" "$hd"
in_range "$gd" || fail "sleep 5 took $gd s by the guest's date, want 4-6"
in_range "$hd" || fail "sleep 5 took $hd s by the host clock, want 4-6"
ok "the guest clock runs at the host's rate"
