#!/usr/bin/env bash
# Dirty bit and lazy refcounts: an image left dirty by a crash (qemu-io's abort, or a SIGKILLed
# vmon writer) is reported dirty by both tools, and vmon rebuilds its refcounts when it next opens
# it for writing: qemu-img check is then clean, the dirty bit is off and the data is intact.
BLKIO=$(realpath "${BUILD:-build}/tests/img/blkio")
. "$(dirname "$0")/lib.sh"
dirty() { $1 info --output=json "$2" | grep -q '"dirty-flag": true'; }

# 1. QEMU leaves refcounts out of date (lazy) and aborts.
qemu-img create -q -f qcow2 -o lazy_refcounts=on q.qcow2 8M
qemu-io -c "write -P 3 0 1M" -c "write -P 4 3M 64k" -c abort q.qcow2 >/dev/null 2>&1
dirty qemu-img q.qcow2 && dirty "$VMON img" q.qcow2 || { echo "FAIL: dirty bit not reported"; fail=1; }
qemu-img check -q q.qcow2 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: expected qemu-img to see corruption"; fail=1; }
"$BLKIO" random q.qcow2 qcow2 1 1 f || { echo "FAIL: vmon could not open the dirty image"; fail=1; }
qemu-img check q.qcow2 >check.out 2>&1 || { echo "FAIL: refcounts not rebuilt"; cat check.out; fail=1; }
dirty qemu-img q.qcow2 && { echo "FAIL: dirty bit still set"; fail=1; }
qemu-io -c "read -P 3 0 1M" -c "read -P 4 3M 64k" q.qcow2 | grep -q "read 65536" || { echo "FAIL: data lost"; fail=1; }

# 2. vmon's writer on a lazy-refcounts image, killed.
"$VMON" img create -q -f qcow2 -o lazy_refcounts=on,cluster_size=4k v.qcow2 8M
: >v.log
"$BLKIO" writer v.qcow2 v.log 5 &
sleep 0.3
kill -KILL $! 2>/dev/null; wait $! 2>/dev/null
dirty qemu-img v.qcow2 || { echo "FAIL: vmon did not set the dirty bit"; fail=1; }
"$BLKIO" random v.qcow2 qcow2 1 1 f || { echo "FAIL: reopen"; fail=1; }
qemu-img check v.qcow2 >check.out 2>&1 || { echo "FAIL: after repair"; cat check.out; fail=1; }
dirty qemu-img v.qcow2 && { echo "FAIL: dirty bit still set after a clean close"; fail=1; }
"$BLKIO" verify v.qcow2 qcow2 v.log >/dev/null || { echo "FAIL: acknowledged writes lost"; fail=1; }
[ $fail -eq 0 ] && echo "lazy refcounts: dirty images repaired on open"
exit $fail
