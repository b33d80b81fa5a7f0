#!/usr/bin/env bash
# The guest's console input, typed on vmon's stdin: (1) lines typed while a busybox shell polls the
# console with `read -t 0.005` each reach the guest's tty whole (its echo shows them; busybox's read
# itself may drop the bytes it read before its deadline passed, under QEMU too), (2) a burst larger
# than the UART's buffer arrives whole and in order (vmon holds what the UART cannot take yet).
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
fifo=$TMPD/in
mkfifo "$fifo"
N=20000
# The polling loop ends at a line of Qs; busybox's read can lose the part of a line it read before its
# deadline (the rest comes whole next time), so the host sends that line five times and the guest
# drains what is left before the burst.
cmd='echo POLL-READY; while :; do L=; read -t 0.005 L; case "$L" in *Q*) break;; esac; done
while read -t 1 L; do :; done
stty raw -echo; echo BURST-READY; head -c '$N' | md5sum | sed "s/^/MD5=/"; stty sane'
"$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$cmd")" <"$fifo" >"$log" 2>"$log.err" &
VMON_PID=$!
exec 3>"$fifo"
wait_for "$log" '^POLL-READY' "$BOOT_TIMEOUT" || fail "no POLL-READY line: $(tail -n 5 "$log")"
sleep 0.5
for i in $(seq 10); do printf 'hello%d\n' "$i" >&3; sleep 0.2; done
for _ in 1 2 3 4 5; do printf 'QQQQQQQQQQQQQQQQ\n' >&3; sleep 0.3; done
wait_for "$log" '^BURST-READY' 30 || fail "the polling loop did not end: $(tail -n 5 "$log")"
for i in $(seq 10); do
    grep -qa "^hello$i"$'\r'"\?$" "$log" || fail "line hello$i did not reach the guest's tty whole: $(grep -a hello "$log" | tr -d '\r' | tr '\n' ' ')"
done
ok "10 lines typed while the guest polls with read -t 0.005: each reached its tty whole"
# Printable bytes, no Ctrl-A (vmon's escape): a deterministic stream.
python3 -c "import sys; sys.stdout.write(''.join(chr(33 + (i * 7919) % 94) for i in range($N)))" >"$TMPD/burst"
sleep 0.5
cat "$TMPD/burst" >&3
want=$(md5sum <"$TMPD/burst" | cut -d' ' -f1)
wait_for "$log" '^MD5=' 60 || fail "the guest got less than $N bytes of the burst (vmon lost the rest?)"
got=$(sed -n 's/^MD5=\([0-9a-f]*\).*/\1/p' "$log" | tr -d '\r')
[ "$got" = "$want" ] || fail "the burst's md5 in the guest is $got, want $want"
ok "a $N-byte burst reached the guest whole and in order"
exec 3>&-
for _ in $(seq 600); do kill -0 "$VMON_PID" 2>/dev/null || break; sleep 0.1; done
wait "$VMON_PID"
RC=$?
VMON_PID=
expect_booted "$log"
