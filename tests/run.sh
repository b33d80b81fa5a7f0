#!/usr/bin/env bash
# Runs test programs and scripts; each exits 0 (pass), 77 (skipped, reason on its output) or else (fail).
# TEST_JOBS of them run at once (default: the number of CPUs, at most 4): most of make test's time is
# Linux boots on the software CPU, one busy thread each, so a 2-core machine runs two side by side.
# The tests pick free ports and private temporary directories, so they do not meet. Prints one line
# per test as it ends, then the summary line "N passed, N failed, N skipped".
set -u
jobs=${TEST_JOBS:-$(nproc)}
[ "$jobs" -gt 4 ] && jobs=4
[ "$jobs" -lt 1 ] && jobs=1
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
pass=0; fail=0; skip=0; failed=()

run_one() {   # run_one N TEST: its output, status and seconds in $res/N.*
    local start rc
    start=$(date +%s.%N)
    "$2" >"$res/$1.log" 2>&1
    rc=$?
    printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)" >"$res/$1.secs"
    echo "$rc" >"$res/$1.rc.tmp" && mv "$res/$1.rc.tmp" "$res/$1.rc"
}

report() {    # report N TEST: the line for a finished test
    local rc secs log=$res/$1.log
    rc=$(cat "$res/$1.rc") secs=$(cat "$res/$1.secs")
    case $rc in
        0)  pass=$((pass + 1)); echo "PASS $2 (${secs}s)";;
        77) skip=$((skip + 1)); echo "SKIP $2: $(grep -m1 -i 'skip' "$log" || tail -n1 "$log")";;
        *)  fail=$((fail + 1)); failed+=("$2"); echo "FAIL $2 (status $rc, ${secs}s)"; tail -n 30 "$log" | sed 's/^/    /';;
    esac
}

tests=("$@")
reported=()
report_done() {   # report every finished test not reported yet
    local i
    for i in "${!tests[@]}"; do
        if [ -z "${reported[$i]:-}" ] && [ -f "$res/$i.rc" ]; then
            reported[$i]=1
            report "$i" "${tests[$i]}"
        fi
    done
}

running=0
for i in "${!tests[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
        report_done
    fi
    run_one "$i" "${tests[$i]}" &
    running=$((running + 1))
done
wait
report_done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
