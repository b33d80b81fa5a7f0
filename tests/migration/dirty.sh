#!/usr/bin/env bash
# Iterative pre-copy (issue 18): the counting guest rewrites its 1 MiB array at every count while it is
# migrated under the software CPU with a bandwidth cap (32 MiB/s) and a 1 ms downtime limit, so each
# pass leaves more dirty pages than the limit allows: the migration must make at least two pre-copy
# passes while the guest goes on counting on the source, stop it only for the last phase (the downtime
# reported is under a quarter of the total time, and the source counted on after the migrate command),
# and the destination must still complete the straight run's output exactly.
. "$(dirname "$0")/lib.sh"
args="limit=2000 period=2000000 sse=1"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
p=$(port)
migrate dirty soft soft "$args" "tcp:127.0.0.1:$p" "tcp:127.0.0.1:$p" "$tmp/straight-soft.log" \
    max-bandwidth=33554432 downtime-limit=1 || exit 1
passes=$(field dirty 'r["query"]["x-vmon-passes"]')
down=$(field dirty 'r["query"]["downtime"]')
total=$(field dirty 'r["query"]["total-time"]')
c0=$(field dirty 'r["count_at_start"]')
c1=$(field dirty 'r["count_at_end"]')
stops=$(field dirty 'r["stops"]')
echo "passes $passes, downtime $down ms, total $total ms, the source counted $c0 -> $c1 meanwhile, STOP events $stops"
[ "$passes" -ge 2 ] || { echo "FAIL: fewer than 2 pre-copy passes"; fail=1; }
[ $((down * 4)) -lt "$total" ] || { echo "FAIL: the downtime is not the last phase's only"; fail=1; }
[ "$c1" -gt "$c0" ] || { echo "FAIL: the guest did not run during the pre-copy"; fail=1; }
[ "$stops" -eq 1 ] || { echo "FAIL: the source stopped $stops times (one: the last phase)"; fail=1; }
[ $fail -eq 0 ] && echo "ok: pre-copy with a guest dirtying memory"
exit $fail
