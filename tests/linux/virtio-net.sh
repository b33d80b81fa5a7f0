#!/usr/bin/env bash
# virtio-net-pci under Debian 12's cloud kernel (issue 14), the guest driving it with busybox:
#   (busybox 1.35's static wget crashes on -T: the fetch runs under timeout instead)
#   user      udhcpc gets 10.0.2.15 from slirp's DHCP; wget fetches a random file from a python3
#             http.server on the host's 127.0.0.1 (the guest reaches it at 10.0.2.2) and the sha1s
#             match; then the guest serves a file with busybox httpd and the host fetches it through
#             hostfwd=tcp::PORT-:8080 (sha1s match)
#   restrict  restrict=on: the same wget fails, hostfwd still reaches the guest's server
#   tap       in a network namespace the test creates: vmon creates the tap (ifname=, queues=2),
#             the guest (2 vCPUs: both queue pairs enabled through the control queue) fetches from
#             a server on the host side of the tap and the host fetches from the guest; skipped
#             with the reason where namespaces or /dev/net/tun are not available
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
srv=$TMPD/www
mkdir -p "$srv"
head -c 1000000 /dev/urandom > "$srv/blob"
want=$(sha1sum < "$srv/blob" | cut -d' ' -f1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fetch() { python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())' "$1"; }
field() { sed -n "s/^$1 \([0-9a-f.]*\).*/\1/p" "$log" | tr -d '\r' | head -n1; }

SRV_PID=
stop_all() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    [ -n "$VMON_PID" ] && kill -9 "$VMON_PID" 2>/dev/null
    [ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$TMPD"
}
trap stop_all EXIT

# The guest's side: an address (DHCP, or static when given), the fetch, then a server for the host.
guest_cmd() {   # guest_cmd SERVER_URL [STATIC_ADDR]
    cat <<CMD
ifconfig lo up
ifconfig eth0 up
printf '#!/bin/sh\n[ "\$1" = bound ] || exit 0\nifconfig \$interface \$ip netmask \$subnet\necho "DHCP \$ip router \$router dns \$dns"\n[ -n "\$router" ] && route add default gw \$router\nexit 0\n' > /tmp/dhcp.sh
chmod +x /tmp/dhcp.sh
if [ -n "${2:-}" ]; then ifconfig eth0 ${2:-} netmask 255.255.255.0; echo "STATIC ${2:-}"; else udhcpc -i eth0 -n -q -t 5 -s /tmp/dhcp.sh; fi
ls /sys/class/net/eth0/queues | tr '\n' ' '; echo
n=0; until timeout 15 wget -q -O /tmp/f $1 || [ \$n -ge ${RETRIES:-3} ]; do n=\$((n+1)); sleep 1; done
echo "GOT \$(sha1sum < /tmp/f)"
mkdir -p /www; head -c 300000 /dev/urandom > /www/g
echo "GSUM \$(sha1sum < /www/g)"
httpd -p 8080 -h /www
echo SERVING
sleep 600
CMD
}

# start_guest ARGS...: boot in the background until the guest serves (or fails).
start_guest() {
    : > "$log"
    "$@" </dev/null >"$log" 2>"$log.err" &
    VMON_PID=$!
    wait_for "$log" '^SERVING' "$BOOT_TIMEOUT" || { tail -n 30 "$log"; cat "$log.err"; fail "the guest did not get to serving"; }
}

stop_guest() {
    kill "$VMON_PID" 2>/dev/null
    wait "$VMON_PID" 2>/dev/null
    VMON_PID=
}

# host_fetch URL WHAT: the host reads the guest's file; its sha1 matches the guest's.
host_fetch() {
    local got
    got=$(fetch "$1" | sha1sum | cut -d' ' -f1)
    [ "$got" = "$(field GSUM)" ] || { cat "$log.err"; fail "$2: host read $got, the guest has $(field GSUM)"; }
    ok "$2: the host fetched the guest's file ($got)"
}

# --- user networking -----------------------------------------------------------------------------
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$srv" "$port" >/dev/null 2>&1 &
SRV_PID=$!
fwd=$(free_port)
start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net "user,hostfwd=tcp::$fwd-:8080" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(guest_cmd "http://10.0.2.2:$port/blob")")"
expect_line "$log" '^DHCP 10\.0\.2\.15 router 10\.0\.2\.2 dns 10\.0\.2\.3' "user: DHCP gave 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3"
[ "$(field GOT)" = "$want" ] || { cat "$log.err"; fail "user: the guest fetched $(field GOT), the host served $want"; }
ok "user: the guest fetched the host's file over HTTP (sha1 $want)"
host_fetch "http://127.0.0.1:$fwd/g" "user hostfwd"
stop_guest

# --- restrict=on ---------------------------------------------------------------------------------
fwd=$(free_port)
RETRIES=0 start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$fwd-:8080" -device virtio-net-pci,netdev=n0,mac=52:54:00:ab:cd:ef \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(RETRIES=0 guest_cmd "http://10.0.2.2:$port/blob"; echo)")"
expect_line "$log" '^DHCP 10\.0\.2\.15' "restrict: DHCP still answers (with no router)"
[ "$(field GOT)" != "$want" ] || fail "restrict=on: the guest reached the host's server"
ok "restrict=on: the guest cannot reach the host's server"
host_fetch "http://127.0.0.1:$fwd/g" "restrict=on hostfwd"
stop_guest

# --- tap in a network namespace -------------------------------------------------------------------
NS=vmon-net-$$
if ! ip netns add "$NS" 2>"$TMPD/ns.err"; then
    echo "skip (tap part): cannot create a network namespace: $(cat "$TMPD/ns.err")"
    exit 0
fi
[ -c /dev/net/tun ] || { echo "skip (tap part): no /dev/net/tun"; exit 0; }
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" python3 -m http.server --bind 10.0.3.1 --directory "$srv" "$port" >/dev/null 2>"$TMPD/srv.err" &
SRV2=$!
: > "$log"
ip netns exec "$NS" "$VMON" run --accel soft --cpus 2 --kernel "$KERNEL" --initrd "$INITRD" \
    --net tap,ifname=vmtap0,queues=2 \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(RETRIES=60 guest_cmd "http://10.0.3.1:$port/blob" 10.0.3.2)")" \
    </dev/null >"$log" 2>"$log.err" &
VMON_PID=$!
n=0
until ip netns exec "$NS" ip link show vmtap0 >/dev/null 2>&1 || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
ip netns exec "$NS" ip addr add 10.0.3.1/24 dev vmtap0 || { cat "$log.err"; fail "tap: vmon did not create vmtap0"; }
ok "tap: vmon created vmtap0 in the namespace ($(ip netns exec "$NS" ip -br link show vmtap0 | tr -s ' '))"
wait_for "$log" '^SERVING' "$BOOT_TIMEOUT" || { tail -n 30 "$log"; cat "$log.err"; fail "tap: the guest did not get to serving"; }
expect_line "$log" 'rx-0 rx-1 tx-0 tx-1' "tap: the guest runs two queue pairs (MQ)"
[ "$(field GOT)" = "$want" ] || { cat "$log.err" "$TMPD/srv.err"; fail "tap: the guest fetched $(field GOT), the host served $want"; }
ok "tap: the guest fetched the host's file (sha1 $want)"
got=$(ip netns exec "$NS" python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())' http://10.0.3.2:8080/g | sha1sum | cut -d' ' -f1)
[ "$got" = "$(field GSUM)" ] || { cat "$log.err"; fail "tap: host read $got, the guest has $(field GSUM)"; }
ok "tap: the host fetched the guest's file ($got)"
grep -q 'vhost-net' "$log.err" && ok "tap: $(grep -m1 vhost-net "$log.err")"
stop_guest
kill "$SRV2" 2>/dev/null
