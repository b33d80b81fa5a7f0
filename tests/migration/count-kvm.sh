#!/usr/bin/env bash
# Live migration between the accelerators (issue 18): the counting guest migrated from the software
# CPU to KVM, and from KVM (its dirty log: KVM_GET_DIRTY_LOG) to the software CPU, over tcp, goes on
# from the same count to the straight run's memory hash (sse=0: KVM without VT-x here stops at the
# guest's first SSE instruction).
. "$(dirname "$0")/lib.sh"
args="limit=40 period=10000000 sse=0"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
if ! { exec 3<>/dev/kvm; } 2>/dev/null; then
    echo "skip: /dev/kvm cannot be opened here"; exit 77
fi
exec 3<&-
if ! straight kvm "$args"; then
    echo "skip: the counting guest does not run under KVM here: $(grep -v vmx "$tmp/straight-kvm.err" | head -1)"
    exit 77
fi
cmp -s "$tmp/straight-kvm.log" "$tmp/straight-soft.log" || { echo "FAIL: KVM and soft straight runs differ"; exit 1; }
for pair in "soft kvm" "kvm soft" "kvm kvm"; do
    set -- $pair
    p=$(port)
    if migrate "$1-$2" "$1" "$2" "$args" "tcp:127.0.0.1:$p" "tcp:127.0.0.1:$p" "$tmp/straight-soft.log"; then
        echo "ok: $1 -> $2 over tcp: count $(field "$1-$2" 'r["count_at_start"]') at migrate, went on to" \
             "'$(tail -1 "$tmp/$1-$2/b.log")'; downtime $(field "$1-$2" 'r["query"]["downtime"]') ms"
    fi
done
# KVM's dirty log across passes: the guest rewrites its array at every count under a bandwidth cap.
args="limit=2000 period=2000000 sse=0"
straight soft "$args" || { echo "FAIL: straight soft run (dirtying)"; exit 1; }
p=$(port)
if migrate kvm-dirty kvm kvm "$args" "tcp:127.0.0.1:$p" "tcp:127.0.0.1:$p" "$tmp/straight-soft.log" \
        max-bandwidth=33554432 downtime-limit=1; then
    passes=$(field kvm-dirty 'r["query"]["x-vmon-passes"]')
    if [ "$passes" -lt 2 ]; then
        echo "FAIL: kvm -> kvm dirtying: $passes pre-copy pass(es)"; fail=1
    else
        echo "ok: kvm -> kvm with the guest dirtying memory: $passes passes, downtime" \
             "$(field kvm-dirty 'r["query"]["downtime"]') ms of $(field kvm-dirty 'r["query"]["total-time"]') ms"
    fi
fi
exit $fail
