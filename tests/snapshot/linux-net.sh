#!/usr/bin/env bash
# A Linux guest with virtio-net (user networking: libslirp) and virtio-rng saved and restored, then
# migrated, under the software CPU (issue 18). Debian's cloud kernel takes a DHCP lease from slirp,
# reads /dev/hwrng and fetches a random file from a python3 http.server the test runs on the host's
# 127.0.0.1 (the guest reaches it at 10.0.2.2), says SAVE-NOW and sleeps; the host stops the VM, saves
# it (QMP x-vmon-save-state) and ends that vmon. A second vmon --restore's the file: the guest wakes,
# reads /dev/hwrng again and fetches a second file over a new connection (sha1s must match the host's),
# and a host fetch through hostfwd reaches the restored guest's busybox httpd. The same file is then
# restored into that running vmon (QMP x-vmon-restore-state: the NIC's backend is live meanwhile): the
# guest goes back to its sleep and fetches the second file again. Then the guest is live-migrated (QMP
# migrate over tcp) to a third vmon, where the same fetches work again.
set -u
. "$(dirname "$0")/../linux/lib.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
srv=$TMPD/www
mkdir -p "$srv"
for f in one two three; do head -c 300000 /dev/urandom > "$srv/$f"; done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
fwd=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$srv" "$port" >/dev/null 2>&1 &
SRV_PID=$!
DST_PID=
trap 'kill $SRV_PID 2>/dev/null; [ -n "$DST_PID" ] && kill -9 $DST_PID 2>/dev/null; cleanup' EXIT
# wait_run FILE PATTERN: wait_for, ending early when the vmon ($VMON_PID) exits first.
wait_run() {
    local n=$((BOOT_TIMEOUT * 10))
    while [ "$n" -gt 0 ]; do
        grep -qa -- "$2" "$1" 2>/dev/null && return 0
        kill -0 "$VMON_PID" 2>/dev/null || { sleep 0.5; grep -qa -- "$2" "$1"; return; }
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}
sum() { sha1sum < "$srv/$1" | cut -d' ' -f1; }
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }

# fetch NAME TAG: the guest's wget of the host's file, then its sha1 on a TAG line.
fetch() {
    echo "n=0; until timeout 20 wget -q -O /tmp/$1 http://10.0.2.2:$port/$1 || [ \$n -ge 3 ]; do n=\$((n+1)); sleep 1; done"
    echo "echo $2 \$(sha1sum < /tmp/$1)"
}
guest_cmd="ifconfig lo up; ifconfig eth0 up
printf '#!/bin/sh\n[ \"\$1\" = bound ] || exit 0\nifconfig \$interface \$ip netmask \$subnet\n[ -n \"\$router\" ] && route add default gw \$router\necho \"DHCP \$ip\"\nexit 0\n' > /tmp/dhcp.sh
chmod +x /tmp/dhcp.sh; udhcpc -i eth0 -n -q -t 5 -s /tmp/dhcp.sh
echo RNG-CURRENT \$(cat /sys/class/misc/hw_random/rng_current)
echo RNG1 \$(head -c 256 /dev/hwrng | wc -c)
$(fetch one GOT1)
mkdir -p /www; head -c 200000 /dev/urandom > /www/g; echo GSUM \$(sha1sum < /www/g)
httpd -p 8080 -h /www
echo SAVE-NOW
sleep 3
echo AFTER-SLEEP
echo RNG2 \$(head -c 256 /dev/hwrng | wc -c)
$(fetch two GOT2)
echo MIGRATE-NOW
sleep 4
echo AFTER-MIGRATE
echo RNG3 \$(head -c 256 /dev/hwrng | wc -c)
$(fetch three GOT3)
echo WAIT-FWD
sleep 120"
net() { echo "user,hostfwd=tcp:127.0.0.1:$1-:8080"; }
NET=(--net "$(net "$fwd")" -device virtio-rng-pci)
host_fwd() {   # host_fwd WHAT PORT: the host reads the guest's /www/g through hostfwd on PORT
    local got
    got=$(timeout 60 python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=50).read())' \
        "http://127.0.0.1:$2/g" | sha1sum | cut -d' ' -f1)
    [ "$got" = "$(field "$a" GSUM)" ] || fail "$1: the host read $got through hostfwd, the guest has $(field "$a" GSUM)"
    ok "$1: the host fetched the guest's file through hostfwd"
}
qmp() { python3 - "$@" <<'P'
import json, os, sys, time
sys.path.insert(0, os.environ["VMON_MONITOR_DIR"])
from qmp_client import Qmp  # the tests' one QMP client
cmd = Qmp(sys.argv[1], timeout=120, greet=True).cmd
if sys.argv[2] == "save":
    assert "return" in cmd("stop")
    r = cmd("x-vmon-save-state", {"file": sys.argv[3]})
    assert r.get("return") == {}, r
elif sys.argv[2] == "restore":   # into the running vmon, which goes on
    r = cmd("x-vmon-restore-state", {"file": sys.argv[3]})
    assert r.get("return") == {}, r
    sys.exit(0)
else:
    assert cmd("migrate", {"uri": sys.argv[3]}).get("return") == {}
    while True:
        st = cmd("query-migrate")["return"]
        if st["status"] not in ("setup", "active", "device"):
            break
        time.sleep(0.05)
    assert st["status"] == "completed", st
cmd("quit")
P
}

a=$TMPD/a.log
"$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" "${NET[@]}" \
    -qmp "unix:$TMPD/a.sock,server,wait=off" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")" </dev/null >"$a" 2>"$a.err" &
VMON_PID=$!
wait_run "$a" '^SAVE-NOW' || { tail -20 "$a"; cat "$a.err"; fail "the guest never got to SAVE-NOW"; }
expect_line "$a" '^DHCP 10\.0\.2\.15' "DHCP from slirp before the save"
expect_line "$a" '^RNG-CURRENT virtio_rng' "the guest's hwrng is virtio_rng"
expect_line "$a" '^RNG1 256' "/dev/hwrng gives 256 bytes before the save"
[ "$(field "$a" GOT1)" = "$(sum one)" ] || fail "the first fetch read $(field "$a" GOT1), the host served $(sum one)"
ok "the guest fetched the host's first file"
qmp "$TMPD/a.sock" save "$TMPD/state" || { cat "$a.err"; fail "saving over QMP"; }
wait "$VMON_PID"
VMON_PID=
grep -q '^AFTER-SLEEP' "$a" && fail "the guest woke before the save (sleep too short for this machine?)"
ok "saved while the guest sleeps (virtio-net, virtio-rng and slirp's state in the file)"

b=$TMPD/b.log
"$VMON" run --accel soft --mem 256M "${NET[@]}" -qmp "unix:$TMPD/b.sock,server,wait=off" \
    --restore "$TMPD/state" </dev/null >"$b" 2>"$b.err" &
VMON_PID=$!
wait_run "$b" '^MIGRATE-NOW' || { tail -20 "$b"; cat "$b.err"; fail "the restored guest never got to MIGRATE-NOW"; }
expect_line "$b" '^AFTER-SLEEP' "the restored guest wakes from its sleep"
expect_line "$b" '^RNG2 256' "/dev/hwrng gives 256 bytes after the restore"
[ "$(field "$b" GOT2)" = "$(sum two)" ] || { cat "$b.err"; fail "after the restore the fetch read '$(field "$b" GOT2)', the host served $(sum two)"; }
ok "the restored guest fetched the host's second file through slirp"
host_fwd "restored" "$fwd"
qmp "$TMPD/b.sock" restore "$TMPD/state" || { cat "$b.err"; fail "restoring into the running vmon"; }
n=0
until [ "$(grep -ac '^MIGRATE-NOW' "$b")" -ge 2 ] || [ $n -ge $((BOOT_TIMEOUT * 10)) ]; do sleep 0.1; n=$((n + 1)); done
[ "$(grep -ac '^AFTER-SLEEP' "$b")" -ge 2 ] || { tail -20 "$b"; fail "restored into the running vmon, the guest did not go back to its sleep"; }
[ "$(sed -n 's/^GOT2 \([0-9a-f]*\).*/\1/p' "$b" | tr -d '\r' | sed -n 2p)" = "$(sum two)" ] ||
    { tail -20 "$b"; cat "$b.err"; fail "after the restore into the running vmon the fetch failed"; }
ok "restored into the running vmon: the guest sleeps again and fetches the second file again"

port2=$(free_port)
fwd2=$(free_port)     # the source still listens on $fwd while the destination starts
c=$TMPD/c.log
"$VMON" run --accel soft --mem 256M --net "$(net "$fwd2")" -device virtio-rng-pci -incoming "tcp:127.0.0.1:$port2" </dev/null >"$c" 2>"$c.err" &
DST_PID=$!
qmp "$TMPD/b.sock" migrate "tcp:127.0.0.1:$port2" || { cat "$b.err" "$c.err"; fail "migrating over QMP"; }
wait "$VMON_PID"
VMON_PID=$DST_PID
DST_PID=
grep -q '^AFTER-MIGRATE' "$b" && fail "the guest ended its sleep before the migration did (too slow a machine?)"
wait_run "$c" '^WAIT-FWD' || { tail -20 "$c"; cat "$c.err"; fail "the migrated guest never got to WAIT-FWD"; }
expect_line "$c" '^RNG3 256' "/dev/hwrng gives 256 bytes after the migration"
[ "$(field "$c" GOT3)" = "$(sum three)" ] || { cat "$c.err"; fail "after the migration the fetch read '$(field "$c" GOT3)'"; }
ok "the migrated guest fetched the host's third file through slirp"
host_fwd "migrated" "$fwd2"
kill "$VMON_PID" 2>/dev/null
wait "$VMON_PID" 2>/dev/null
VMON_PID=
