#!/usr/bin/env bash
# Runs test programs and scripts; each exits 0 (pass), 77 (skipped, reason on its output) or else (fail).
# Prints one line per test and the summary line "N passed, N failed, N skipped".
set -u
pass=0; fail=0; skip=0; failed=()
for t in "$@"; do
    log=$(mktemp)
    start=$(date +%s.%N)
    "$t" >"$log" 2>&1
    rc=$?
    secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
    case $rc in
        0)  pass=$((pass + 1)); echo "PASS $t (${secs}s)";;
        77) skip=$((skip + 1)); echo "SKIP $t: $(grep -m1 -i 'skip' "$log" || tail -n1 "$log")";;
        *)  fail=$((fail + 1)); failed+=("$t"); echo "FAIL $t (status $rc)"; tail -n 30 "$log" | sed 's/^/    /';;
    esac
    rm -f "$log"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
