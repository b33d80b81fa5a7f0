#!/usr/bin/env bash
# Whole-VM snapshots in a qcow2 disk's internal snapshots (issue 18; QEMU's savevm / loadvm / delvm /
# info snapshots, -loadvm, QMP snapshot-save / -load / -delete): the counting guest with a qcow2
# virtio-blk disk is saved with savevm at count >= 10, counts on, is taken back with loadvm and must
# go on from the saved count exactly as the straight run did; a fresh vmon started with -loadvm does
# the same. qemu-img snapshot -l lists the snapshot with its VM state size and qemu-img check stays
# clean after each step; delvm removes it; a raw disk refuses savevm and an unknown tag refuses
# loadvm and -loadvm with one line. IDE disks take part as QEMU's do: a raw one refuses savevm by its
# name (ide0-hd0), a qcow2 one gets the snapshot beside the virtio disk (which holds the state).
. "$(dirname "$0")/lib.sh"
IMG=$(command -v qemu-img || echo "$VMON img")     # QEMU's tool where present: it must read vmon's
args="limit=40 period=10000000 sse=1"
d=$tmp/savevm
mkdir -p "$d"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
$IMG create -q -f qcow2 "$d/disk.qcow2" 32M || { echo "FAIL: create"; exit 1; }
drive="file=$d/disk.qcow2,format=qcow2,if=virtio"

check_clean() {    # WHAT
    if ! $IMG check "$d/disk.qcow2" > "$d/check.out" 2>&1; then
        echo "FAIL: $1: $IMG check:"; cat "$d/check.out"; fail=1
    else
        echo "ok: $1: $IMG check: $(head -1 "$d/check.out")"
    fi
}

# continues WHAT LOG: LOG must be the straight run's output past the prefix, ending the same way.
continues() {
    local n
    n=$(stat -c %s "$d/prefix.log")
    if tail -c +$((n + 1)) "$tmp/straight-soft.log" | cmp -s - "$2"; then
        echo "ok: $1: goes on from count $(grep -c '^count' "$d/prefix.log") to: $(tail -1 "$2")"
    else
        echo "FAIL: $1: does not continue the straight run:"; head -3 "$2"; fail=1
    fi
}

"$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" --drive "$drive" \
    -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
pid=$!
if ! python3 "$here/savevm.py" round "$d/q.sock" "$d/a.log" 10 "$d/prefix.log"; then
    echo "FAIL: savevm / loadvm round"; cat "$d/a.err"; kill $pid 2>/dev/null; exit 1
fi
wait $pid
rc=$?
tail -c +$(($(cat "$d/prefix.log.cut") + 1)) "$d/a.log" > "$d/b.log"
[ $rc -eq 1 ] || { echo "FAIL: the VM after loadvm ended with status $rc"; cat "$d/a.err"; fail=1; }
continues "loadvm s1 in the running VM" "$d/b.log"

$IMG snapshot -l "$d/disk.qcow2" > "$d/list.out" 2>&1
if grep -qE "^1 +s1 +[0-9.]+ (KiB|MiB)" "$d/list.out"; then
    echo "ok: $IMG snapshot -l: $(grep ' s1 ' "$d/list.out")"
else
    echo "FAIL: $IMG snapshot -l does not list s1 with its VM state:"; cat "$d/list.out"; fail=1
fi
check_clean "after savevm and loadvm"

timeout 120 "$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" --drive "$drive" \
    -loadvm s1 > "$d/c.log" 2>"$d/c.err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: -loadvm s1: status $rc"; cat "$d/c.err"; fail=1; }
continues "-loadvm s1 in a fresh vmon" "$d/c.log"

timeout 60 "$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" --drive "$drive" \
    -loadvm nosuch > "$d/e.log" 2>"$d/e.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$d/e.err")" -eq 1 ] &&
   grep -q "^vmon: -loadvm nosuch: Snapshot 'nosuch' does not exist in one or more devices$" "$d/e.err"; then
    echo "ok: -loadvm nosuch refused: $(cat "$d/e.err")"
else
    echo "FAIL: -loadvm nosuch: status $rc:"; cat "$d/e.err"; fail=1
fi

# hmp_run NAME DRIVE CMD...: a paused VM (-S) given HMP commands; their output in $d/NAME.out.
# IDE_DRIVE: an IDE drive to add.
IDE_DRIVE=
hmp_run() {
    local name=$1 drv=$2
    shift 2
    # shellcheck disable=SC2046
    "$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" --drive "$drv" -S \
        $([ -n "$IDE_DRIVE" ] && echo -drive "$IDE_DRIVE") \
        -qmp "unix:$d/$name.sock,server" > "$d/$name.log" 2>"$d/$name.err" &
    local p=$!
    python3 "$here/savevm.py" hmp "$d/$name.sock" "$@" > "$d/$name.out" || { echo "FAIL: $name"; fail=1; }
    wait $p
}

hmp_run del "$drive" "delvm s1" "info snapshots" "delvm s1"
if grep -qx "There is no snapshot available." "$d/del.out" &&
   grep -qx "Error: Snapshot 's1' does not exist in any device" "$d/del.out" &&
   ! $IMG snapshot -l "$d/disk.qcow2" | grep -q s1; then
    echo "ok: delvm s1: gone from info snapshots and $IMG snapshot -l; a second delvm says so"
else
    echo "FAIL: delvm:"; cat "$d/del.out"; fail=1
fi
check_clean "after delvm"

hmp_run none "$drive" "info snapshots"
grep -qx "There is no snapshot available." "$d/none.out" || { echo "FAIL: info snapshots"; cat "$d/none.out"; fail=1; }

# QMP's snapshot jobs (QEMU 7.2's snapshot-save / -load / -delete, query-jobs, job-dismiss).
"$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" --drive "$drive" -S \
    -qmp "unix:$d/j.sock,server" > "$d/j.log" 2>"$d/j.err" &
p=$!
if python3 "$here/savevm.py" qmp "$d/j.sock" > "$d/j.out"; then
    echo "ok: QMP snapshot-save, snapshot-load (and an unknown tag's job error), snapshot-delete jobs"
else
    echo "FAIL: QMP snapshot jobs:"; cat "$d/j.out" "$d/j.err"; fail=1
fi
wait $p
check_clean "after the QMP jobs"

$IMG create -q -f raw "$d/disk.raw" 1M
hmp_run raw "file=$d/disk.raw,format=raw,if=virtio" "savevm s2"
if grep -qx "Error: Device 'virtio0' is writable but does not support snapshots" "$d/raw.out"; then
    echo "ok: savevm with a raw disk refused: $(tail -1 "$d/raw.out")"
else
    echo "FAIL: savevm with a raw disk:"; cat "$d/raw.out"; fail=1
fi

IDE_DRIVE="file=$d/disk.raw,format=raw,if=ide" hmp_run ideraw "$drive" "savevm s3"
if grep -qx "Error: Device 'ide0-hd0' is writable but does not support snapshots" "$d/ideraw.out"; then
    echo "ok: savevm with a raw IDE disk refused: $(tail -1 "$d/ideraw.out")"
else
    echo "FAIL: savevm with a raw IDE disk:"; cat "$d/ideraw.out"; fail=1
fi
$IMG create -q -f qcow2 "$d/ide.qcow2" 8M
IDE_DRIVE="file=$d/ide.qcow2,format=qcow2,if=ide" hmp_run ideq "$drive" "savevm s4" "loadvm s4" "info snapshots"
if $IMG snapshot -l "$d/ide.qcow2" | grep -q ' s4 ' && $IMG snapshot -l "$d/disk.qcow2" | grep -q ' s4 ' &&
   ! grep -q "Error" "$d/ideq.out"; then
    echo "ok: savevm / loadvm with a qcow2 IDE disk: the snapshot is on both disks"
else
    echo "FAIL: savevm with a qcow2 IDE disk:"; cat "$d/ideq.out"; $IMG snapshot -l "$d/ide.qcow2"; fail=1
fi
exit $fail
