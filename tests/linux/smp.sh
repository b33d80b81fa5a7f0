#!/usr/bin/env bash
# --cpus 2 under --accel soft: Linux brings up the second vCPU (INIT/SIPI through the userspace
# LAPIC) and /proc/cpuinfo lists two processors.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
boot "$log" --cpus 2 --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 vmon.cmd64=$(cmd64 'uname -a; cat /proc/cpuinfo')"
expect_booted "$log"
expect_line "$log" 'smp: Brought up 1 node, 2 CPUs' "Linux brought up 2 CPUs"
n=$(grep -ac '^processor' "$log")
[ "$n" -eq 2 ] || fail "/proc/cpuinfo lists $n processors, want 2"
ok "/proc/cpuinfo lists 2 processors"
