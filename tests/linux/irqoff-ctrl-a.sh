#!/usr/bin/env bash
# The same interrupts-off guest (a panicked Linux), on a terminal: Ctrl-A x typed on the console
# quits vmon, and vmon puts the terminal back. script(1) gives vmon a pty; we type into it.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
command -v script >/dev/null || { echo "skip: script(1) (util-linux) is missing"; exit 77; }
log=$TMPD/serial
fifo=$TMPD/keys
mkfifo "$fifo"
cmdline="console=ttyS0 quiet panic=0 vmon.cmd=\"echo c > /proc/sysrq-trigger\""
# script copies the fifo to the pty's input and the pty's output (vmon's stdout and stderr) to $log.
script -qfec "stty -g >$TMPD/tty.before; $VMON run --accel soft --kernel $KERNEL --initrd $INITRD --append '$cmdline'; echo VMON-STATUS=\$?; stty -g >$TMPD/tty.after" \
    /dev/null <"$fifo" >"$log" 2>&1 &
VMON_PID=$!
exec 3>"$fifo"
wait_for "$log" 'Kernel panic' "$BOOT_TIMEOUT" || { tail -n 20 "$log"; fail "the guest did not panic"; }
ok "the guest panicked and spins with interrupts off"
sleep 2
printf '\001x' >&3
wait_for "$log" 'VMON-STATUS=' 10 || { tail -n 5 "$log"; fail "vmon still runs 10 s after Ctrl-A x"; }
exec 3>&-
wait "$VMON_PID"
VMON_PID=
grep -qa 'terminated (Ctrl-A x)' "$log" || { tail -n 5 "$log"; fail "no 'terminated (Ctrl-A x)' message"; }
ok "Ctrl-A x: $(grep -a -m1 'terminated (Ctrl-A x)' "$log" | tr -d '\r')"
grep -qa 'VMON-STATUS=0' "$log" || fail "vmon's status after Ctrl-A x: $(grep -a VMON-STATUS "$log")"
ok "vmon exited 0"
wait_for "$TMPD/tty.after" . 5 || fail "no terminal settings after vmon"
cmp -s "$TMPD/tty.before" "$TMPD/tty.after" || fail "terminal settings differ after vmon: $(cat "$TMPD/tty.before") -> $(cat "$TMPD/tty.after")"
ok "terminal settings restored"
