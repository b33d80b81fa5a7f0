#!/usr/bin/env bash
# Failing writes (issue 12), injected by block/file.c's VMON_TEST_FAULT hook: snapshot -c on a full
# file system fails with qemu-img's errno wording (-28 (No space left on device)) and leaves the
# image clean; every write path, under ENOSPC and EIO from its n-th write on, fails with the errno
# text and leaves an image qemu-img check finds consistent: at worst leaks (exit 0 or 3), or, when
# not even an overwrite succeeds (EIO), a COPIED flag missing on a cluster whose refcount dropped
# to 1 (QEMU's snapshot delete has the same window; harmless: a write copies the cluster once).
# A new image that convert could not finish creating is not checked (qemu-img leaves it broken too).
. "$(dirname "$0")/lib.sh"

qemu-img create -q -f qcow2 -o cluster_size=4096 base.qcow2 8M
qemu-io -c 'write -P 1 0 1M' -c 'write -P 2 3M 512k' base.qcow2 >/dev/null
qemu-img snapshot -c first base.qcow2
qemu-img create -q -f qcow2 -o cluster_size=4096 -b base.qcow2 -F qcow2 top0.qcow2
qemu-io -c 'write -P 3 512k 1M' top0.qcow2 >/dev/null
truncate -s 8M data.raw; qemu-io -f raw -c 'write -P 9 2M 2M' data.raw >/dev/null

# 1. snapshot -c with the file system full from the n-th write on.
for n in 1 2 3 4 5 6 7 8; do
    cp base.qcow2 s.qcow2
    VMON_TEST_FAULT=ENOSPC:$n "$VMON" img snapshot -c x s.qcow2 2>err.txt; rc=$?
    [ $n -le 2 ] && [ $rc -eq 0 ] && bad "snapshot -c succeeded with the file system full from write $n"
    if [ $rc -ne 0 ]; then
        grep -qx "vmon img: Could not create snapshot 'x': -28 (No space left on device)" err.txt ||
            bad "snapshot -c, ENOSPC at write $n: $(cat err.txt)"
        qemu-img snapshot -l s.qcow2 | grep -q ' x ' && bad "snapshot -c failed but x exists (write $n)"
    fi
    qemu-img check s.qcow2 >c.txt 2>&1 || { bad "snapshot -c, ENOSPC at write $n: image not clean"; head -3 c.txt; }
    qemu-img compare -q base.qcow2 s.qcow2 || bad "snapshot -c, ENOSPC at write $n: data changed"
done

# 2. Every write path, ENOSPC and EIO from the n-th write on.
run() {        # mode n image-to-start-from command...: the command runs on w.qcow2
    local mode=$1 n=$2 from=$3; shift 3
    cp "$from" w.qcow2; cp base.qcow2 b.qcow2
    VMON_TEST_FAULT=$mode:$n "$VMON" img "$@" >/dev/null 2>err.txt; local rc=$?
    local text; text=$([ "$mode" = ENOSPC ] && echo "No space left on device" || echo "Input/output error")
    if [ $rc -ne 0 ] && ! grep -q "$text" err.txt; then bad "$mode:$n img $*: no errno text: $(cat err.txt)"; fi
    [ "$1" = convert ] && [ "$2" != -n ] && [ $rc -ne 0 ] && return
    for f in w.qcow2 b.qcow2; do
        qemu-img check "$f" >c.txt 2>&1; local c=$?
        [ $c -eq 2 ] && [ "$mode" = EIO ] && ! grep ERROR c.txt | grep -qv 'ERROR OFLAG_COPIED .* refcount=1$' && continue
        [ $c -eq 0 ] || [ $c -eq 3 ] || { bad "$mode:$n img $*: $f corrupt (check $c)"; head -3 c.txt; }
    done
}
qemu-img rebase -q -u -b b.qcow2 -F qcow2 top0.qcow2
for mode in ENOSPC EIO; do
    for n in 1 2 3 5 8 13 21; do
        run $mode $n base.qcow2 snapshot -c x w.qcow2
        run $mode $n base.qcow2 snapshot -d first w.qcow2
        run $mode $n base.qcow2 snapshot -a first w.qcow2
        run $mode $n base.qcow2 resize w.qcow2 64M
        run $mode $n base.qcow2 amend -o lazy_refcounts=on w.qcow2
        run $mode $n base.qcow2 convert -n -O qcow2 data.raw w.qcow2
        run $mode $n base.qcow2 check -r all w.qcow2
        run $mode $n top0.qcow2 commit w.qcow2
        run $mode $n base.qcow2 convert -O qcow2 -o cluster_size=4096 data.raw w.qcow2
    done
done
[ $fail -eq 0 ] && echo "faults: all passed"
exit $fail
