# Sourced by the migration tests (issue 18): vmon, the snapshot tests' counting guest
# (tests/snapshot/count-guest.c), python3 for the QMP side (mig.py), a scratch folder removed on exit,
# a free-looking localhost port, and the migration round.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
GUEST=$BUILD/snapshot/count-guest.elf
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -f "$GUEST" ] || { echo "skip: $GUEST not built (make build-tests)"; exit 77; }
fail=0
MEM=64M

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# straight ACCEL ARGS: the guest's whole output, run without a migration, in $tmp/straight-ACCEL.log.
straight() {
    timeout 300 "$VMON" run --accel "$1" --mem $MEM --kernel "$GUEST" --append "$2" \
        > "$tmp/straight-$1.log" 2>"$tmp/straight-$1.err"
    local rc=$?
    [ $rc -eq 1 ] && grep -q "^done hash" "$tmp/straight-$1.log"
}

# migrate NAME FROM TO ARGS URI-OUT URI-IN REF [mig.py options...]: the guest runs under FROM, is
# migrated at count >= 10 (mig.py) to a vmon started with -incoming URI-IN under TO; the source's
# output and the destination's together must be REF's byte for byte (the count goes on from where it
# stopped, the memory hash at the end the same), the destination must end as the straight run does
# (isa-debug-exit 0: status 1), and the source must end when told (status 0). mig.py's summary is in
# $tmp/NAME/res.json.
migrate() {
    local name=$1 from=$2 to=$3 args=$4 out=$5 in=$6 ref=$7 d="$tmp/$1"
    shift 7
    mkdir -p "$d"
    "$VMON" run --accel "$to" --mem $MEM -incoming "$in" > "$d/b.log" 2>"$d/b.err" &
    local dst=$!
    pids+=($dst)
    "$VMON" run --accel "$from" --mem $MEM --kernel "$GUEST" --append "$args" \
        -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
    local src=$!
    pids+=($src)
    if ! timeout 300 python3 "$here/mig.py" "$d/q.sock" "$d/a.log" 10 "$out" "$d/res.json" "$@"; then
        echo "FAIL: $name: the migration did not complete:"; cat "$d/res.json" "$d/a.err" "$d/b.err" 2>/dev/null
        fail=1; return 1
    fi
    wait $src
    local src_rc=$?
    timeout 300 tail --pid=$dst -f /dev/null
    wait $dst
    local dst_rc=$?
    if [ $src_rc -ne 0 ] || [ $dst_rc -ne 1 ] || ! cat "$d/a.log" "$d/b.log" | cmp -s - "$ref"; then
        echo "FAIL: $name: source status $src_rc, destination status $dst_rc; the output does not go on:"
        tail -2 "$d/a.log"; head -2 "$d/b.log"; cat "$d/a.err" "$d/b.err"; fail=1; return 1
    fi
    return 0
}

# field NAME EXPR: a value from mig.py's summary (python expression over r).
field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$tmp/$1/res.json"; }
