#!/usr/bin/env bash
# The PS/2 keyboard as SeaBIOS reads it (issue 15), under --accel soft and KVM where /dev/kvm opens:
# a boot sector (kbdsector.S) echoes the keys int 16h returns to COM1; the test presses them through
# the monitor, HMP's sendkey (over QMP's human-monitor-command) and QMP's send-key, and expects
# them in order, shifted where shift was held; unknown keys are refused and press nothing; 'q'
# ends the run with status 33.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
[ -f /usr/share/seabios/bios-256k.bin ] || { echo "skip: Debian's seabios package missing"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh"
fw_bootsector "$here/kbdsector.S"

for a in $accels; do
    sock=$tmp/qmp-$a.sock
    timeout 120 "$VMON" run --accel "$a" -nographic -qmp "unix:$sock,server,wait=off" \
        --drive file="$tmp/disk.img",format=raw,if=virtio </dev/null >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    HERE=$here/../../monitor timeout 100 python3 - "$sock" "$tmp/out" >"$tmp/client" 2>&1 <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["HERE"])
from qmp_client import Qmp, check, err_class

def echoed():
    # What the boot sector echoed after its ready line, without the lines SeaBIOS's serial console
    # may still print around it.
    out = open(sys.argv[2], errors="replace").read()
    return out.split("kbd-ready", 1)[1].replace("\r", "").replace("\n", "").replace(".", "") if "kbd-ready" in out else None

def wait_out(want):
    for _ in range(600):
        if (want is None and echoed() is not None) or (want is not None and echoed() == want):
            return True
        time.sleep(0.1)
    return False

q = Qmp(sys.argv[1])
q.recv()
q.cmd("qmp_capabilities")
check(wait_out(None), "the boot sector waits for keys")
hmp = lambda line: q.cmd("human-monitor-command", {"command-line": line})["return"]
check(hmp("sendkey h") == "", "HMP sendkey h")
check(hmp("sendkey shift-i") == "", "HMP sendkey shift-i")
check("unknown key" in hmp("sendkey ctrl-nosuchkey"), "HMP sendkey with an unknown key: refused")
r = q.cmd("send-key", {"keys": [{"type": "qcode", "data": "1"}], "hold-time": 20})
check(r == {"return": {}}, "QMP send-key 1")
check(err_class(q.cmd("send-key", {"keys": [{"type": "qcode", "data": "bogus"}]})) == "GenericError",
      "QMP send-key with an unknown key: GenericError")
check(err_class(q.cmd("send-key", {"keys": [{"type": "number", "data": 30}]})) == "GenericError",
      "QMP send-key by number: GenericError")
check(err_class(q.cmd("send-key", {"keys": []})) == "GenericError", "QMP send-key with no keys")
check(wait_out("hI1"), "the guest read h, I, 1 in order (nothing from the refused ones)")
check(hmp("sendkey q") == "", "HMP sendkey q")
PY
    crc=$?
    wait $pid
    rc=$?
    if [ $crc -eq 0 ] && [ $rc -eq 33 ] && tr -d "\r\n." <"$tmp/out" | grep -q "kbd-readyhI1q"; then
        echo "ok: $a: keys reach the guest through the PS/2 keyboard; status 33"
    else
        echo "FAIL: $a: client $crc, vmon $rc"
        sed 's/^/    /' "$tmp/client" "$tmp/out" "$tmp/err" | tail -30
        fail=1
    fi
done
exit $fail
