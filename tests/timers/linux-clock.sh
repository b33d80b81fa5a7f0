#!/usr/bin/env bash
# Debian's kernel under --accel soft --cpus 2, on vmon's userspace PC platform: the guest's clock runs
# at the host's rate (`sleep 5` takes 4-6 s by the guest's /proc/uptime and by the host's clock), both
# CPUs come up and take local timer interrupts, the tick arrives through IOAPIC pin 2, and the guest
# powers off (vmon exits 0). Skips when build/guest/bzImage is missing (scripts/fetch-guest.sh).
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
kernel=build/guest/bzImage initrd=build/guest/initramfs.cpio.gz
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "skip: $kernel or $initrd missing (run scripts/fetch-guest.sh)"; exit 77
fi
cmd='cat /proc/uptime; sleep 5; cat /proc/uptime; grep -c ^processor /proc/cpuinfo; cat /proc/interrupts'
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s.%N)
# Each line with the host time (seconds since start) it arrived at.
timeout 300 "$VMON" run --accel soft --cpus 2 --mem 256M --kernel "$kernel" --initrd "$initrd" \
    --append "console=ttyS0 quiet vmon.cmd64=$(printf '%s' "$cmd" | base64 -w0)" </dev/null 2>&1 |
    while IFS= read -r line; do
        printf '%s %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "${line%$'\r'}"
    done >"$log"
rc=${PIPESTATUS[0]}
fail() { echo "FAIL: $*"; tail -n 30 "$log" | sed 's/^/    /'; exit 1; }
[ "$rc" -eq 0 ] || fail "vmon exited with $rc, want 0 (poweroff)"
grep -q 'VMON-CMD-EXIT=0' "$log" || fail "the command did not run to the end"
# "<host s> <uptime s> <idle s>": the two /proc/uptime lines.
mapfile -t up < <(awk 'NF == 3 && $2 ~ /^[0-9]+\.[0-9][0-9]$/ && $3 ~ /^[0-9]+\.[0-9][0-9]$/' "$log")
[ "${#up[@]}" -eq 2 ] || fail "expected two /proc/uptime lines, found ${#up[@]}"
read -r h1 g1 _ <<<"${up[0]}"
read -r h2 g2 _ <<<"${up[1]}"
guest=$(echo "$g2 - $g1" | bc) host=$(echo "$h2 - $h1" | bc)
echo "sleep 5: guest uptime advanced ${guest} s, host clock ${host} s"
in_range() { [ "$(echo "$1 >= 4 && $1 <= 6" | bc)" = 1 ]; }
in_range "$guest" || fail "guest clock: sleep 5 took $guest s"
in_range "$host" || fail "host clock: sleep 5 took $host s"
grep -Eq '^[0-9.]+ 2$' "$log" || fail "/proc/cpuinfo does not list 2 processors"
timer=$(grep -E 'IO-APIC +2-edge +timer' "$log") || fail "no timer on IO-APIC pin 2 in /proc/interrupts"
loc=$(grep -E ' LOC: ' "$log") || fail "no local timer interrupts line"
read -r _ _ loc0 loc1 _ <<<"$loc"
echo "local timer interrupts: CPU0 $loc0, CPU1 $loc1; ${timer#* }"
[ "${loc0:-0}" -gt 0 ] && [ "${loc1:-0}" -gt 0 ] || fail "a CPU took no local timer interrupts"
grep -Eq ' ERR: +0$' "$log" || fail "APIC errors counted (ERR)"
grep -Eq ' MIS: +0$' "$log" || fail "mis-routed IOAPIC interrupts counted (MIS)"
echo "ok"
