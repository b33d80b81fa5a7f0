#!/usr/bin/env bash
# A guest that triple-faults ends vmon with a clear message, a register dump and status 1. Linux
# makes one on purpose: with reboot=t its restart path loads an empty IDT and executes int3
# (arch/x86/kernel/reboot.c, BOOT_TRIPLE).
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet reboot=t vmon.cmd=\"reboot -f\""
expect_line "$log" '^VMON-GUEST-READY' "marker line"
[ "$RC" -eq 1 ] || { cat "$log.err"; fail "vmon exited $RC after a triple fault, want 1"; }
ok "vmon exited 1"
grep -q 'triple fault' "$log.err" || { cat "$log.err"; fail "no 'triple fault' message on stderr"; }
ok "stderr says: $(grep -m1 'triple fault' "$log.err")"
grep -q 'RIP=' "$log.err" || fail "no register dump on stderr"
ok "register dump on stderr"
