#!/usr/bin/env bash
# The gdbstub on the wire, without gdb: a bad -gdb spec is refused (exit 2); over TCP, a client
# stops and resumes a running guest (continue, then Ctrl-C: "T02"), sends malformed packets (bad
# checksums, garbage, an over-long packet, bad fields: answered '-' or an error, vmon unharmed),
# and kills the VM with 'k' (vmon exits 0); a 32-bit guest gets the i386 view; -S without gdb waits
# for the monitor's cont. Exit 0 pass, 77 skip, 1 fail.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
KERNEL=$BUILD/guests/bz64.bzImage
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -f "$KERNEL" ] || { echo "skip: $KERNEL not built (make build-tests)"; exit 77; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/err" 2>/dev/null; exit 1; }

"$VMON" run --kernel "$KERNEL" --accel soft -gdb bogus:1 </dev/null >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q 'vmon: -gdb bogus:1: expected tcp' "$tmp/err" || fail "-gdb bogus:1: status $rc"
echo "ok: a bad -gdb spec is refused with status 2"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VMON" run --kernel "$KERNEL" --accel soft --cpus 2 --append "test=none rounds=4000000000" \
    -gdb "tcp:127.0.0.1:$port" </dev/null >"$tmp/serial" 2>"$tmp/err" &
pid=$!
python3 - "$port" <<'PY' || fail "the wire session"
import socket, sys, time

port = int(sys.argv[1])
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rb")

def frame(body):
    return b"$" + body + b"#%02x" % (sum(body) & 0xff)

def reply():
    """Skip acks; return the next packet's body (checksum checked)."""
    while True:
        c = f.read(1)
        if c == b"$":
            break
        assert c in (b"+", b"-"), c
    body = b""
    while (c := f.read(1)) != b"#":
        body += c
    cs = f.read(2)
    assert int(cs, 16) == sum(body) & 0xff, (body, cs)
    return body

def ask(body):
    s.sendall(frame(body))
    return reply()

def expect(body, want):
    got = ask(body)
    assert got.startswith(want), (body, got, want)

expect(b"?", b"T05thread:1;")
expect(b"qfThreadInfo", b"m1,2")
expect(b"qsThreadInfo", b"l")
expect(b"Hg2", b"OK")
expect(b"qThreadExtraInfo,2", b"vCPU 1".hex().encode())
expect(b"Hg1", b"OK")
assert b"<architecture>i386:x86-64</architecture>" in ask(b"qXfer:features:read:target.xml:0,3000")
assert len(ask(b"g")) == 2 * 600, "amd64 g packet: 600 bytes"
# Malformed input: each is answered, none ends the connection.
s.sendall(b"$g#00")
assert f.read(1) == b"-"
s.sendall(b"garbage without a dollar")
s.sendall(b"$" + b"a" * 20000 + b"#00")
assert f.read(1) == b"-"
for bad in [b"m", b"mzz,1", b"M0,2:0", b"Z9,0,0", b"Hg77", b"P99999=00", b"vCont;q", b"qRcmd,zz",
            b"X100000,5:ab", b"qXfer:features:read:target.xml:zz"]:
    got = ask(bad)
    assert got == b"" or got.startswith(b"E"), (bad, got)
expect(b"m100000,4", b"")
expect(b"qRcmd," + b"info status".hex().encode(), b"info status".hex().encode()[:0])
# Run, then Ctrl-C: the stop reply says SIGINT.
s.sendall(frame(b"c"))
time.sleep(1.0)
s.sendall(b"\x03")
assert reply().startswith(b"T02thread:1;")
expect(b"qRcmd," + b"info status".hex().encode(), bytes("VM status: paused".encode().hex(), "ascii"))
s.sendall(frame(b"k"))
time.sleep(0.5)
PY
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "vmon exited $rc after gdb's kill, want 0"
echo "ok: stop, threads, continue, Ctrl-C, malformed packets and kill over TCP"

# A guest in 32-bit protected mode (PVH entry): the i386 view, 364 bytes of registers.
sock=$tmp/g32.sock
"$VMON" run --kernel "$BUILD/guests/pvh.elf" --accel soft -S -gdb "unix:$sock" </dev/null >/dev/null 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
python3 - "$sock" <<'PY' || fail "the 32-bit view"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(20)
f = s.makefile("rb")
def ask(body):
    s.sendall(b"$" + body + b"#%02x" % (sum(body) & 0xff))
    while f.read(1) != b"$":
        pass
    out = b""
    while (c := f.read(1)) != b"#":
        out += c
    f.read(2)
    return out
assert b"<architecture>i386</architecture>" in ask(b"qXfer:features:read:target.xml:0,3000")
assert len(ask(b"g")) == 2 * 364
s.sendall(b"$k#6b")
PY
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
echo "ok: a 32-bit guest gets the i386 view"

# -S without a debugger: the vCPUs wait for the monitor's cont.
guest=$BUILD/gdb-guest/gdb-guest.elf
[ -f "$guest" ] || { echo "skip: $guest not built (make build-tests)"; exit 77; }
msock=$tmp/mon.sock
"$VMON" run --kernel "$guest" --accel soft --mem 64M -S -monitor "unix:$msock,server,wait=off" \
    </dev/null >"$tmp/serial-s" 2>"$tmp/err" &
pid=$!
python3 - "$msock" "$tmp/serial-s" <<'PY' || fail "-S and the monitor's cont"
import os, socket, sys, time
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.1)
s.settimeout(20)
def until(text):
    buf = b""
    while text not in buf:
        buf += s.recv(4096)
    return buf
until(b"(vmon) ")
s.sendall(b"info status\n")
assert b"VM status: paused" in until(b"(vmon) ")
time.sleep(1)
assert os.path.getsize(sys.argv[2]) == 0, "the guest ran before cont"
s.sendall(b"cont\n")
time.sleep(0.5)
PY
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 117 ] || fail "-S then cont: vmon exited $rc, want 117"
echo "ok: -S holds the vCPUs until the monitor's cont"
