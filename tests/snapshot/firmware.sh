#!/usr/bin/env bash
# A firmware-boot VM saved with savevm and started again with -loadvm (issue 18): SeaBIOS boots a
# sector (tests/firmware/kbdsector.S) from a qcow2 virtio-blk disk; it echoes to COM1 the keys it reads
# through int 16h from the PS/2 keyboard. The VGA (its text mirrored to the terminal, no -nographic),
# the keyboard, the PIIX4 PM function and the PCI bridges are saved with it. After 'h' the VM is
# saved, then 'x' is pressed; a fresh vmon started with -loadvm must not have seen 'x', must print the
# screen the VGA showed (its registers came back, so the mirror finds a text screen), and must echo
# the keys pressed next ('i', then 'q' which ends the run with status 33). qemu-img check stays clean.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
[ -f /usr/share/seabios/bios-256k.bin ] || { echo "skip: Debian's seabios package missing"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
. "$here/../firmware/lib.sh"
fw_bootsector "$here/../firmware/kbdsector.S"
IMG=$(command -v qemu-img || echo "$VMON img")
$IMG convert -O qcow2 "$tmp/disk.img" "$tmp/disk.qcow2" || { echo "FAIL: convert"; exit 1; }
drive="file=$tmp/disk.qcow2,format=qcow2,if=virtio"

# client.py DIR SOCK OUT STEP...: each step is "ready" (the sector said kbd-ready), "key K" (press K
# and wait until OUT shows it), "hmp LINE" (must print nothing) or "quit".
cat > "$tmp/client.py" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[1])
from snap import Qmp

sock, out, steps = sys.argv[2], sys.argv[3], sys.argv[4:]

def seen(ch):
    return open(out, errors="replace").read().count(ch)

def wait_for(cond, what):
    for _ in range(1200):
        if cond():
            return
        time.sleep(0.1)
    sys.exit("FAIL: %s" % what)

q = Qmp(sock)
for s in steps:
    kind, _, arg = s.partition(" ")
    if kind == "ready":
        wait_for(lambda: "kbd-ready" in open(out, errors="replace").read(), "the boot sector never got ready")
    elif kind == "key":
        before = seen(arg)
        r = q.cmd("human-monitor-command", {"command-line": "sendkey " + arg})
        assert r == {"return": ""}, r
        if arg != "q":
            wait_for(lambda: seen(arg) > before, "key %s not echoed" % arg)
    elif kind == "hmp":
        r = q.cmd("human-monitor-command", {"command-line": arg})
        assert r == {"return": ""}, "%s: %r" % (arg, r)
    elif kind == "quit":
        q.cmd("quit")
PY

for a in $accels; do
    timeout 300 "$VMON" run --accel "$a" --drive "$drive" -qmp "unix:$tmp/a-$a.sock,server" \
        </dev/null >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    python3 "$tmp/client.py" "$here" "$tmp/a-$a.sock" "$tmp/out" ready "key h" "hmp savevm s-$a" "key x" quit
    crc=$?
    wait $pid
    check "$a: SeaBIOS ran the sector, which echoed h; savevm s-$a; then x" [ $crc -eq 0 ]
    cp "$tmp/out" "$tmp/a-$a.out"
    timeout 300 "$VMON" run --accel "$a" --drive "$drive" -loadvm "s-$a" -qmp "unix:$tmp/b-$a.sock,server" \
        </dev/null >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    python3 "$tmp/client.py" "$here" "$tmp/b-$a.sock" "$tmp/out" "key i" "key q"
    crc=$?
    wait $pid
    rc=$?
    check "$a: -loadvm s-$a: the guest echoes i then q (status 33; it never saw x)" \
        sh -c "[ $crc -eq 0 ] && [ $rc -eq 33 ] && tr -d '\r\n' < '$tmp/out' | grep -q 'iq\$' && ! grep -q 'x' '$tmp/out'"
    check "$a: -loadvm s-$a: the VGA's screen is back (the mirror prints SeaBIOS's boot line)" \
        grep -q "Booting from Hard Disk" "$tmp/out"
    check "$a: qemu-img check after savevm / -loadvm" $IMG check -q "$tmp/disk.qcow2"
done
exit $fail
