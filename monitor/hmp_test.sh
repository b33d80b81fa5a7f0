#!/usr/bin/env bash
# The human monitor on the console, through a pty (monitor/hmp_pty.py): Ctrl-A h, Ctrl-A c, info
# status/registers/translate/cpus, stop, cont, xp, quit (under soft, and KVM where /dev/kvm opens);
# -monitor stdio; and -monitor unix:...,server,wait=off. Exit 0 pass, 77 skip, 1 fail.
. "$(dirname "$0")/lib.sh"
accels="soft"
(exec 3<>/dev/kvm) 2>/dev/null && accels="soft kvm"

for a in $accels; do
    echo "# console monitor under $a"
    timeout 60 python3 "$here/hmp_pty.py" "$VMON" run --kernel "$KERNEL" --append "$long" --accel "$a" \
        --cpus 2 -serial mon:stdio || fail=1
done
echo "# -monitor stdio"
MONITOR_STDIO=1 timeout 60 python3 "$here/hmp_pty.py" "$VMON" run --kernel "$KERNEL" --append "$long" \
    --accel soft -monitor stdio || fail=1

sock=$tmp/m.sock
timeout 60 "$VMON" run --kernel "$KERNEL" --append "$long" --accel soft \
    -monitor "unix:$sock,server,wait=off" </dev/null >/dev/null 2>"$tmp/err" &
pid=$!
timeout 30 python3 - "$sock" >"$tmp/out" <<'PY'
import os, socket, sys, time
for _ in range(200):
    if os.path.exists(sys.argv[1]): break
    time.sleep(0.05)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(20)
def until(want):
    buf = b""
    while want not in buf:
        d = s.recv(4096)
        if not d: break
        buf += d
    return buf.decode()
until(b"(vmon) ")
s.sendall(b"info version\n"); print(until(b"(vmon) "))
s.sendall(b"info mtree\n"); print(until(b"(vmon) "))
s.sendall(b"quit\n"); until(b"\0")
PY
wait $pid
rc=$?
if [ $rc -eq 0 ] && grep -q "(vmon)" "$tmp/out" && grep -q "acpi-pm1a-cnt" "$tmp/out"; then
    echo "ok: -monitor unix: info version, info mtree, quit"
else
    echo "FAIL: -monitor unix: status $rc"; cat "$tmp/out" "$tmp/err"; fail=1
fi
exit $fail
