#!/usr/bin/env bash
# Snapshot round trips between the accelerators (issue 18): the counting guest saved under the software
# CPU restores under KVM, saved under KVM restores under the software CPU and under KVM (also into the
# same running vmon: x-vmon-restore-state), each going on
# from the same count (sse=0: KVM without VT-x here stops at the guest's first SSE instruction).
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
round soft kvm "$args" "$tmp/straight-soft.log"
round kvm soft "$args" "$tmp/straight-soft.log"
round kvm kvm "$args" "$tmp/straight-soft.log"
round kvm kvm "$args" "$tmp/straight-soft.log" live
exit $fail
