#!/usr/bin/env bash
# Boots Debian 12's cloud kernel with the busybox initramfs (scripts/fetch-guest.sh) on the software
# CPU (issue 4) with one vCPU: the marker line, a command from the cmdline (uname, /proc/cpuinfo), the
# guest clock against the host's across `sleep 5`, and a clean poweroff (status 0). The two-vCPU boot
# is tests/timers/linux-clock.sh's. Exit 0 pass, 77 skip (no guest material), 1 fail.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
G=$BUILD/guest
if [ ! -f "$G/bzImage" ] || [ ! -f "$G/initramfs.cpio.gz" ]; then
    echo "skip: $G/bzImage or initramfs.cpio.gz missing (run scripts/fetch-guest.sh)"
    exit 77
fi
tmo=${LINUX_BOOT_TIMEOUT:-600}
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# boot CPUS CMD: run the guest, prefixing every output line with the host time it arrived at.
boot() {
    local cpus=$1 cmd=$2
    timeout "$tmo" "$VMON" run --accel soft --cpus "$cpus" --mem 512M --kernel "$G/bzImage" \
        --initrd "$G/initramfs.cpio.gz" --append "console=ttyS0 quiet vmon.cmd=\"$cmd\"" </dev/null 2>&1 |
        while IFS= read -r line; do line=${line%$'\r'}; printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$log"
    return "${PIPESTATUS[0]}"
}

check() {   # check WHAT CONDITION-RESULT
    if [ "$2" = ok ]; then echo "PASS $1"; else echo "FAIL $1: $2"; fail=1; fi
}

start=$(date +%s.%N)
boot 1 'uname -a; grep -c ^processor /proc/cpuinfo; echo T1 $(date +%s); sleep 5; echo T2 $(date +%s)'
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
echo "cpus=1: status $rc after ${secs%.*} s"
check "cpus=1 exit status 0" "$([ $rc -eq 0 ] && echo ok || echo "status $rc")"
check "cpus=1 marker line" "$(grep -q ' VMON-GUEST-READY' "$log" && echo ok || echo missing)"
check "cpus=1 uname ran" "$(grep -q ' Linux .* x86_64' "$log" && echo ok || echo missing)"
check "cpus=1 command status 0" "$(grep -q ' VMON-CMD-EXIT=0' "$log" && echo ok || echo missing)"
g1=$(awk '$2 == "T1" { print $3 }' "$log"); g2=$(awk '$2 == "T2" { print $3 }' "$log")
h1=$(awk '$2 == "T1" { print $1 }' "$log"); h2=$(awk '$2 == "T2" { print $1 }' "$log")
if [ -n "$g1" ] && [ -n "$g2" ]; then
    gd=$((g2 - g1)); hd=$(echo "$h2 - $h1" | bc)
    echo "sleep 5: guest clock $gd s, host clock $hd s"
    check "sleep 5 by the guest's clock in 4-6 s" "$([ $gd -ge 4 ] && [ $gd -le 6 ] && echo ok || echo "$gd s")"
    check "sleep 5 by the host's clock in 4-6 s" \
        "$(echo "$hd >= 4 && $hd <= 6" | bc | grep -q 1 && echo ok || echo "$hd s")"
else
    check "sleep 5 timestamps" "missing"
fi
[ $fail -ne 0 ] && sed 's/^[0-9.]* //' "$log" | tail -n 20

exit $fail
