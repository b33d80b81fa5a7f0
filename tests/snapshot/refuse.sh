#!/usr/bin/env bash
# Refused state files (issue 18): a file that is not vmon's, of another version, saved for another VM
# shape (CPU model, RAM size, vCPU count), truncated anywhere or with a corrupted byte, is refused by
# --restore with one line and status 2, never a crash; the good file still restores.
. "$(dirname "$0")/lib.sh"
d=$tmp/save
mkdir -p "$d"
"$VMON" run --accel soft --mem $MEM --kernel "$GUEST" --append "limit=1000 period=10000000" \
    -qmp "unix:$d/q.sock,server" > "$d/a.log" 2>"$d/a.err" &
pid=$!
python3 "$here/snap.py" "$d/q.sock" "$d/a.log" 3 "$d/prefix.log" "$d/state" || { kill $pid; echo "FAIL: save"; exit 1; }
wait $pid
good=$d/state
size=$(stat -c %s "$good")

# refused NAME FILE [vmon args...]: status 2, one line that names the file (a CPU model's own note may
# come before it), no sanitizer report.
refused() {
    local name=$1 file=$2
    shift 2
    timeout 60 "$VMON" run --accel soft --mem $MEM "$@" --restore "$file" > "$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 2 ] || [ "$(grep -c "^vmon: --restore $file: " "$tmp/err")" -ne 1 ] ||
       [ "$(grep -vc "^vmon: -cpu " "$tmp/err")" -ne 1 ] || grep -q "Sanitizer\|runtime error" "$tmp/err"; then
        echo "FAIL: $name: status $rc:"; cat "$tmp/err"; fail=1
    else
        echo "ok: $name: $(grep -- --restore "$tmp/err")"
    fi
}
mutate() {   # OFFSET BYTE-HEX -> $tmp/bad
    cp "$good" "$tmp/bad"
    printf "\\x$2" | dd of="$tmp/bad" bs=1 seek="$1" conv=notrunc status=none
}
mutate 0 58;   refused "bad magic" "$tmp/bad"
mutate 8 02;   refused "version 2" "$tmp/bad"
mutate 4100 ff; refused "corrupted section byte" "$tmp/bad"
for cut in 0 100 4096 4200 $((size / 2)) $((size - 1)); do
    head -c $cut "$good" > "$tmp/bad"
    refused "truncated to $cut bytes" "$tmp/bad"
done
refused "other RAM size" "$good" --mem 128M
refused "other CPU model" "$good" --cpu qemu64
refused "other vCPU count" "$good" --cpus 2
refused "missing file" "$tmp/none"
timeout 60 "$VMON" run --accel soft --mem $MEM --restore "$good" > "$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^done hash" "$tmp/out"; then
    echo "ok: the good file restores and runs to the end"
else
    echo "FAIL: the good file: status $rc"; cat "$tmp/err"; fail=1
fi
exit $fail
