#!/usr/bin/env bash
# Debian 12's generic kernel (linux-image-amd64), not only the cloud one, boots the same way under
# --accel soft. Its bzImage is xz-compressed: the decompressor alone runs for a while in the soft CPU.
set -u
. "$(dirname "$0")/lib.sh"
need_guest generic
BOOT_TIMEOUT=${BOOT_TIMEOUT_GENERIC:-600}
log=$TMPD/serial
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 'uname -a; cat /proc/cpuinfo')"
expect_booted "$log"
expect_line "$log" '^Linux .* 6\.1\.[0-9-]*-amd64 .* x86_64' "uname -a names the generic kernel"
n=$(grep -ac '^processor' "$log")
[ "$n" -eq 1 ] || fail "/proc/cpuinfo lists $n processors, want 1"
ok "/proc/cpuinfo lists 1 processor"
