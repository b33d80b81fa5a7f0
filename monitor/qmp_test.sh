#!/usr/bin/env bash
# QMP end to end: a real vmon running a test guest (a long CRC loop, or one that resets or powers off
# itself) is driven over -qmp unix:...,server by monitor/qmp_client.py: every command of the issue
# (query-block on a raw drive, x-vmon-translate), malformed input, the socket's mode, a second -qmp
# socket, -D; the events against what the guest and the host do: system_reset reboots in place
# (RESET, the guest boots again), a guest's i8042 reset (RESET guest true), -no-reboot (SHUTDOWN with
# the reset's reason), a guest poweroff (SHUTDOWN guest-shutdown); then -daemonize -pidfile.
# Under --accel soft always, and KVM where /dev/kvm opens. Exit 0 pass, 1 fail.
. "$(dirname "$0")/lib.sh"

# run_case NAME ACCEL SCENARIO WANT_STATUS APPEND [WAIT [VMON ARGS...]]: vmon in the background, the
# client in front.
run_case() {
    local name=$1 accel=$2 scenario=$3 want=$4 append=$5 wait=${6-,wait=off} sock=$tmp/$1.sock
    shift 6 2>/dev/null || shift $#
    timeout 60 "$VMON" run --kernel "$KERNEL" --append "$append" --accel "$accel" --cpus 2 \
        --exit-stats -name qmptest -qmp "unix:$sock,server$wait" "$@" \
        </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
    local pid=$!
    ACCEL=$accel timeout 60 python3 "$here/qmp_client.py" "$sock" "$scenario" >"$tmp/$name.client" 2>&1
    local crc=$?
    wait $pid
    local rc=$?
    sed "s/^/  $name: /" "$tmp/$name.client"
    if [ $crc -ne 0 ] || [ $rc -ne "$want" ]; then
        echo "FAIL: $name: client status $crc, vmon status $rc (want $want)"; sed 's/^/    /' "$tmp/$name.err"
        fail=1
    elif [ -e "$sock" ]; then
        echo "FAIL: $name: the socket was left behind"; fail=1
    else
        echo "ok: $name"
    fi
}

# banners FILE MIN: the guest's boot banner at least MIN times on its console
banners() {
    local n
    n=$(grep -c 'vmon-guest: entry=' "$1")
    if [ "$n" -ge "$2" ]; then echo "ok: the guest booted $n times"; else echo "FAIL: $n boots, want $2+"; fail=1; fi
}

truncate -s 8M "$tmp/disk.raw"
accels="soft"
(exec 3<>/dev/kvm) 2>/dev/null && accels="soft kvm"
for a in $accels; do
    # a second -qmp socket with its own client: same events; -D: vmon's messages go to the log
    python3 "$here/qmp_client.py" "$tmp/second-$a.sock" second >"$tmp/second-$a.client" 2>&1 &
    second=$!
    run_case "main-$a" "$a" main 0 "$long" ,wait=off --drive "file=$tmp/disk.raw,format=raw,if=virtio" \
        -qmp "unix:$tmp/second-$a.sock,server,wait=off" -D "$tmp/main-$a.log"
    if wait $second && grep -q 'exit stats' "$tmp/main-$a.log" && ! grep -q 'exit stats' "$tmp/main-$a.err"; then
        sed "s/^/  second-$a: /" "$tmp/second-$a.client"; echo "ok: second -qmp socket; -D took vmon's messages"
    else
        echo "FAIL: second -qmp socket or -D"; cat "$tmp/second-$a.client" "$tmp/main-$a.log"; fail=1
    fi
    run_case "reset-$a" "$a" reset 0 "$long"
    banners "$tmp/reset-$a.out" 3
    # wait=on (QEMU's default): the VM starts once the client is there, so no event is missed
    # (rounds: a few seconds of CRC first; KVM without vmx/svm, as on some CI hosts, emulates slowly)
    rounds=200000; [ "$a" = kvm ] && rounds=1000
    run_case "guest-reset-$a" "$a" guest-reset 0 "test=reset" ""
    banners "$tmp/guest-reset-$a.out" 3
    run_case "noreboot-$a" "$a" noreboot 0 "$long" ,wait=off -no-reboot
    run_case "guest-noreboot-$a" "$a" guest-noreboot 0 "test=reset rounds=$rounds" "" -no-reboot
    run_case "guest-$a" "$a" guest 0 "test=poweroff rounds=$rounds" ""
done

# tcp:HOST:PORT,server,wait=off on a free port: greeting, query-status, quit.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 60 "$VMON" run --kernel "$KERNEL" --append "$long" --accel soft \
    -qmp "tcp:127.0.0.1:$port,server,wait=off" </dev/null >/dev/null 2>"$tmp/tcp.err" &
pid=$!
if timeout 30 python3 - "$port" <<'PY'
import json, socket, sys, time
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rwb")
assert "QMP" in json.loads(f.readline())
def cmd(c):
    f.write(json.dumps({"execute": c}).encode() + b"\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r: return r
cmd("qmp_capabilities")
assert cmd("query-status")["return"]["status"] == "running"
assert cmd("quit") == {"return": {}}
PY
then wait $pid && echo "ok: -qmp tcp: query-status, quit" || { echo "FAIL: -qmp tcp: vmon status"; fail=1; }
else
    echo "FAIL: -qmp tcp"; cat "$tmp/tcp.err"; kill $pid 2>/dev/null; fail=1
fi

# -daemonize -pidfile: the caller gets its status once the VM stands, the pidfile names the daemon
# and goes away with it; an error before that reaches the caller's stderr and status.
sock=$tmp/d.sock
if timeout 20 "$VMON" run --kernel "$KERNEL" --append "$long" --accel soft -daemonize \
        -pidfile "$tmp/pid" -qmp "unix:$sock,server,wait=off" 2>"$tmp/d.err"; then
    pid=$(cat "$tmp/pid" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -S "$sock" ]; then
        echo "ok: -daemonize returned, daemon $pid runs"
        python3 - "$sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
f.readline()
for c in ("qmp_capabilities", "quit"):
    f.write(json.dumps({"execute": c}).encode() + b"\n"); f.flush(); f.readline()
PY
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null || [ -e "$tmp/pid" ]; then
            echo "FAIL: the daemon did not quit or left its pidfile"; kill "$pid"; fail=1
        else
            echo "ok: quit ended the daemon, pidfile removed"
        fi
    else
        echo "FAIL: -daemonize: no running daemon behind the pidfile"; fail=1
    fi
else
    echo "FAIL: -daemonize: status $?"; cat "$tmp/d.err"; fail=1
fi
timeout 20 "$VMON" run --kernel "$tmp/none" -daemonize 2>"$tmp/d2.err"
rc=$?
if [ $rc -eq 2 ] && grep -q '^vmon: ' "$tmp/d2.err"; then
    echo "ok: -daemonize with a bad kernel: status 2 and the message on the caller's stderr"
else
    echo "FAIL: -daemonize with a bad kernel: status $rc"; cat "$tmp/d2.err"; fail=1
fi
exit $fail
