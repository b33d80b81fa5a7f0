#!/usr/bin/env bash
# Refused migration streams (issue 18): -incoming given an empty stream, garbage, a real stream cut
# short anywhere or with a corrupted byte in its device state, pages outside guest RAM, an unknown
# record, disk data for a disk the VM does not have or not in whole sectors, a stream from a VM of
# another shape, or garbage over tcp: refuses it with one line and
# status 2, never a crash; the good stream still migrates the guest on.
. "$(dirname "$0")/lib.sh"
d=$tmp/save
mkdir -p "$d"
args="limit=30 period=10000000 sse=1"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
"$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "$args" \
    -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
pid=$!
pids+=($pid)
python3 "$here/mig.py" "$d/q.sock" "$d/a.log" 5 "file:$d/stream" "$d/res.json" > /dev/null ||
    { echo "FAIL: migrating to a file"; cat "$d/a.err"; exit 1; }
wait $pid
good=$d/stream
size=$(stat -c %s "$good")

# refused NAME URI [vmon args...]: status 2, one line "vmon: -incoming URI: why", no sanitizer report.
refused() {
    local name=$1 uri=$2
    shift 2
    timeout 60 "$VMON" run --accel soft --mem $MEM "$@" -incoming "$uri" > "$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -q "^vmon: -incoming $uri: " "$tmp/err" ||
       grep -q "Sanitizer\|runtime error" "$tmp/err"; then
        echo "FAIL: $name: status $rc:"; cat "$tmp/err"; fail=1
    else
        echo "ok: $name: $(cat "$tmp/err")"
    fi
}
cut_to() { head -c "$1" "$good" > "$tmp/bad"; }
mutate() { cp "$good" "$tmp/bad"; printf "\\x$2" | dd of="$tmp/bad" bs=1 seek="$1" conv=notrunc status=none; }
# record TYPE COUNT ARG: the good stream's header, then one record (python writes it).
record() {
    python3 - "$good" "$tmp/bad" "$@" <<'PY'
import struct, sys
good, out, typ, count, arg = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4]), int(sys.argv[5])
h = open(good, "rb").read(64)
open(out, "wb").write(h + typ + struct.pack("<IQ", count, arg) + b"\0" * 4096)
PY
}

: > "$tmp/bad"
refused empty "file:$tmp/bad"
head -c 8192 /dev/urandom > "$tmp/bad"
refused garbage "file:$tmp/bad"
for n in 8 63 64 100 $((size / 2)) $((size - 17)) $((size - 1)); do
    cut_to $n
    refused "cut at $n of $size" "file:$tmp/bad"
done
mutate 8 07
refused "version 7" "file:$tmp/bad"
mutate $((size - 100)) 5a
refused "a device-state byte changed" "file:$tmp/bad"
record PAGE 1 16384
refused "a page past the end of RAM" "file:$tmp/bad"
record PAGE 100 0
refused "a run of too many pages" "file:$tmp/bad"
record ZERO 4294967295 1
refused "zero pages past the end" "file:$tmp/bad"
record STAT 4294967295 0
refused "a device state too long" "file:$tmp/bad"
record XXXX 0 0
refused "an unknown record" "file:$tmp/bad"
record DISK 512 0
refused "disk data for a VM without that disk" "file:$tmp/bad"
record DISK 100 0
refused "disk data not in whole sectors" "file:$tmp/bad"
refused "another RAM size" "file:$good" --mem 32M
refused "another vCPU count" "file:$good" --cpus 2
p=$(port)
( sleep 1; python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"VMONMIGR" + b"\xff" * 100)' $p ) &
refused "garbage over tcp" "tcp:127.0.0.1:$p"
# The good stream still goes on from where the source stopped.
timeout 120 "$VMON" run --accel soft --mem $MEM -incoming "file:$good" > "$d/b.log" 2>"$d/b.err"
rc=$?
if [ $rc -ne 1 ] || ! cat "$d/a.log" "$d/b.log" | cmp -s - "$tmp/straight-soft.log"; then
    echo "FAIL: the good stream (status $rc)"; cat "$d/b.err"; fail=1
else
    echo "ok: the good stream from a file goes on to '$(tail -1 "$d/b.log")'"
fi
exit $fail
