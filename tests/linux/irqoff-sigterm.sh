#!/usr/bin/env bash
# A guest looping with interrupts off stays controllable: Linux's panic() disables interrupts and
# spins in mdelay() forever (panic=0). vmon keeps running it, and SIGTERM still ends vmon cleanly.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
"$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet panic=0 vmon.cmd=\"echo c > /proc/sysrq-trigger\"" \
    </dev/null >"$log" 2>"$log.err" &
VMON_PID=$!
wait_for "$log" 'Kernel panic' "$BOOT_TIMEOUT" || { tail -n 20 "$log"; fail "the guest did not panic"; }
ok "the guest panicked and spins with interrupts off"
sleep 2
kill -0 "$VMON_PID" 2>/dev/null || fail "vmon ended by itself while the guest spins"
kill -TERM "$VMON_PID"
for _ in $(seq 100); do kill -0 "$VMON_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$VMON_PID" 2>/dev/null && fail "vmon still runs 10 s after SIGTERM"
wait "$VMON_PID"
rc=$?
VMON_PID=
[ "$rc" -eq 0 ] || { cat "$log.err"; fail "vmon exited $rc on SIGTERM, want 0"; }
grep -q 'terminating on signal' "$log.err" || { cat "$log.err"; fail "no message on SIGTERM"; }
ok "SIGTERM ended vmon: $(grep -m1 'terminating' "$log.err")"
