# Sourced by the snapshot tests: vmon, the counting guest (tests/snapshot/count-guest.c), python3 for
# the QMP side (snap.py), a scratch folder removed on exit, and the save/restore round.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
GUEST=$BUILD/snapshot/count-guest.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -f "$GUEST" ] || { echo "skip: $GUEST not built (make build-tests)"; exit 77; }
fail=0
MEM=64M

# straight ACCEL ARGS: the guest's whole output, run without a snapshot, in $tmp/straight-ACCEL.log.
straight() {
    timeout 120 "$VMON" run --accel "$1" --mem $MEM --kernel "$GUEST" --append "$2" \
        > "$tmp/straight-$1.log" 2>"$tmp/straight-$1.err"
    local rc=$?
    [ $rc -eq 1 ] && grep -q "^done hash" "$tmp/straight-$1.log"
}

# round FROM TO ARGS REF [hmp|live]: run under FROM, save at count >= 10 (QMP, or HMP's save_state),
# restore under TO (live: into the same vmon 8 counts later, x-vmon-restore-state); the output up to the save plus the restored run's must be REF's, byte for byte, and the
# restored run must end as the straight one does (isa-debug-exit 0: status 1).
round() {
    local from=$1 to=$2 args=$3 ref=$4 how=${5:-qmp} d="$tmp/$1-$2-${5:-qmp}"
    mkdir -p "$d"
    "$VMON" run --accel "$from" --mem $MEM --kernel "$GUEST" --append "$args" \
        -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
    local pid=$!
    if ! python3 "$here/snap.py" "$d/q.sock" "$d/a.log" 10 "$d/prefix.log" "$d/state" $how; then
        echo "FAIL: $from -> $to ($how): saving"; cat "$d/a.err"; kill $pid 2>/dev/null; fail=1; return
    fi
    wait $pid
    local rc=$?
    # The counting guest leaves most of its RAM zero: those pages are holes in the file, which keeps
    # the full length (a restore maps all of it).
    local size blocks
    size=$(stat -c %s "$d/state") blocks=$(stat -c %b "$d/state")
    if [ "$size" -lt $((64 << 20)) ] || [ $((blocks * 512)) -gt $((16 << 20)) ]; then
        echo "FAIL: $from -> $to ($how): the state file has $size bytes, $((blocks * 512)) on disk" \
             "(want >= 64 MiB long, <= 16 MiB allocated: zero pages as holes)"; fail=1; return
    fi
    if [ "$how" = live ]; then   # restored into the same vmon: its log from the cut on is the rest
        tail -c +$(($(cat "$d/prefix.log.cut") + 1)) "$d/a.log" > "$d/b.log"
    else
        timeout 120 "$VMON" run --accel "$to" --mem $MEM --restore "$d/state" > "$d/b.log" 2>"$d/b.err"
        rc=$?
    fi
    if [ $rc -ne 1 ] || ! cat "$d/prefix.log" "$d/b.log" | cmp -s - "$ref"; then
        echo "FAIL: $from -> $to ($how): restored run (status $rc) does not continue the count:"
        head -3 "$d/b.log"; grep -v vmx "$d/b.err"; fail=1; return
    fi
    echo "ok: $from -> $to ($how): saved at $(grep -c '^count' "$d/prefix.log"), restored run goes on" \
         "to the straight run's last line: $(tail -1 "$d/b.log")"
}
