#!/usr/bin/env bash
# A cancelled or refused live migration (issue 18): the counting guest's migration, slowed by a
# bandwidth cap (256 KiB/s), is cancelled with migrate_cancel 0.3 s in; it must end "cancelled"
# (MIGRATION events setup, active, cancelling, cancelled) with the source still running, and the
# source must go on to the straight run's end (its memory hash included) while the destination
# refuses the stream that was cut short. Then a destination with less RAM refuses the stream: the
# migration must end "failed" with the error, and the source again runs on to its end.
. "$(dirname "$0")/lib.sh"
args="limit=200 period=10000000 sse=1"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
d=$tmp/cancel
mkdir -p "$d"
p=$(port)
"$VMON" run --accel soft --mem $MEM -incoming "tcp:127.0.0.1:$p" > "$d/b.log" 2>"$d/b.err" &
dst=$!
pids+=($dst)
"$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" \
    -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
src=$!
pids+=($src)
if ! timeout 120 python3 "$here/mig.py" "$d/q.sock" "$d/a.log" 5 "tcp:127.0.0.1:$p" "$d/res.json" \
        max-bandwidth=262144 cancel; then
    echo "FAIL: the migration did not end cancelled with the VM running:"; cat "$d/res.json" "$d/a.err"; exit 1
fi
ev=$(field cancel '",".join(r["events"])')
[ "$ev" = "setup,active,cancelling,cancelled" ] || { echo "FAIL: MIGRATION events $ev"; fail=1; }
timeout 120 tail --pid=$src -f /dev/null
wait $src
src_rc=$?
wait $dst
dst_rc=$?
if [ $src_rc -ne 1 ] || ! cmp -s "$d/a.log" "$tmp/straight-soft.log"; then
    echo "FAIL: the source (status $src_rc) did not run on to the straight run's end"; tail -2 "$d/a.log"; fail=1
elif [ $dst_rc -ne 2 ] || [ "$(wc -l < "$d/b.err")" -ne 1 ]; then
    echo "FAIL: the destination exited $dst_rc:"; cat "$d/b.err"; fail=1
else
    echo "ok: cancelled ($ev); the source ran on to '$(tail -1 "$d/a.log")'; the destination: $(cat "$d/b.err")"
fi

d=$tmp/refused
mkdir -p "$d"
p=$(port)
"$VMON" run --accel soft --mem 32M -incoming "tcp:127.0.0.1:$p" > "$d/b.log" 2>"$d/b.err" &
dst=$!
pids+=($dst)
"$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" \
    -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
src=$!
pids+=($src)
if ! timeout 120 python3 "$here/mig.py" "$d/q.sock" "$d/a.log" 5 "tcp:127.0.0.1:$p" "$d/res.json" refused; then
    echo "FAIL: the refused migration did not end failed with the VM running:"; cat "$d/res.json" "$d/a.err"
    exit 1
fi
timeout 120 tail --pid=$src -f /dev/null
wait $src
src_rc=$?
if [ $src_rc -ne 1 ] || ! cmp -s "$d/a.log" "$tmp/straight-soft.log"; then
    echo "FAIL: after the refusal the source (status $src_rc) did not run on to its end"; fail=1
else
    echo "ok: refused by the destination ($(cat "$d/b.err")): failed with" \
         "'$(field refused 'r["query"]["error-desc"]')', the source ran on to its end"
fi
exit $fail
