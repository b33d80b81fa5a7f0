#!/usr/bin/env bash
# Live migration under the software CPU (issue 18): the counting guest migrated to a second vmon on
# localhost while it counts continues from the same count with the same SSE register and memory (its
# output on the destination completes the source's to the straight run's, final memory hash included),
# over tcp: with QMP (migrate, query-migrate, MIGRATION events), and with HMP's migrate -d into
# exec:CMD, the destination reading the file it wrote (-incoming file:).
. "$(dirname "$0")/lib.sh"
args="limit=40 period=10000000 sse=1"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
p=$(port)
if migrate tcp soft soft "$args" "tcp:127.0.0.1:$p" "tcp:127.0.0.1:$p" "$tmp/straight-soft.log"; then
    ev=$(field tcp '",".join(r["events"])')
    if [ "$ev" != "setup,active,device,completed" ] || [ "$(field tcp 'r["status_after"]')" != paused ]; then
        echo "FAIL: tcp: MIGRATION events $ev, source left $(field tcp 'r["status_after"]')"; fail=1
    else
        echo "ok: soft -> soft over tcp: count $(field tcp 'r["count_at_start"]') at migrate, went on to" \
             "'$(tail -1 "$tmp/tcp/b.log")' on the destination; $(field tcp 'r["query"]["x-vmon-passes"]') pass(es)," \
             "downtime $(field tcp 'r["query"]["downtime"]') ms of $(field tcp 'r["query"]["total-time"]') ms"
    fi
fi
# exec: writes the stream through a shell command; a FIFO lets the destination read it as it comes.
mkfifo "$tmp/fifo"
if migrate exec soft soft "$args" "exec:cat > $tmp/fifo" "file:$tmp/fifo" "$tmp/straight-soft.log" hmp; then
    info=$(field exec 'r["info"]')
    if [ "$(echo "$info" | head -1)" != "Migration status: completed" ]; then
        echo "FAIL: exec: info migrate says:"; echo "$info"; fail=1
    else
        echo "ok: soft -> soft over exec:/file: (HMP migrate -d), $(echo "$info" | grep '^downtime:')"
    fi
fi
exit $fail
