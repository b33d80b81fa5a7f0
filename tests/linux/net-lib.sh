# Shared by tests/linux/virtio-net.sh and virtio-net-tap.sh (sourced after lib.sh): a random file
# for the host to serve, the guest's command (an address, a fetch from the host, then busybox httpd
# serving its own random file), starting and stopping the guest, and the host's fetch from it.
# busybox 1.35's static wget crashes on -T, so the guest's fetch runs under timeout instead.
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
# VMON_PID may be `ip netns exec`'s, which forks vmon and waits: its children go first.
kill_vmon() {   # kill_vmon [SIGNAL]
    pkill ${1:+-$1} -P "$VMON_PID" 2>/dev/null
    kill ${1:+-$1} "$VMON_PID" 2>/dev/null
}
stop_all() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    [ -n "$VMON_PID" ] && kill_vmon 9
    [ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$TMPD"    # KEEP=1: leave the logs for a look
}
trap stop_all EXIT

# The guest's side: an address (DHCP, or static when given), the fetch, then a server for the host.
guest_cmd() {   # guest_cmd SERVER_URL [STATIC_ADDR]; DNS_NAME: a name to resolve through 10.0.2.3
    cat <<CMD
ifconfig lo up
ifconfig eth0 up
printf '#!/bin/sh\n[ "\$1" = bound ] || exit 0\nifconfig \$interface \$ip netmask \$subnet\necho "DHCP \$ip router \$router dns \$dns"\n[ -n "\$router" ] && route add default gw \$router\nexit 0\n' > /tmp/dhcp.sh
chmod +x /tmp/dhcp.sh
if [ -n "${2:-}" ]; then ifconfig eth0 ${2:-} netmask 255.255.255.0; echo "STATIC ${2:-}"; else udhcpc -i eth0 -n -q -t 5 -s /tmp/dhcp.sh; fi
ls /sys/class/net/eth0/queues | tr '\n' ' '; echo
[ -n "${DNS_NAME:-}" ] && echo "RESOLVED \$(timeout 20 nslookup ${DNS_NAME:-} 10.0.2.3 2>/dev/null | sed -n 's/^Address: *\([0-9.]*\)\$/\1/p' | tail -n1)"
n=0; until timeout 15 wget -q -O /tmp/f $1 || [ \$n -ge ${RETRIES:-3} ]; do n=\$((n+1)); sleep 1; done
echo "GOT \$(sha1sum < /tmp/f)"
echo "RXPK \$(cat /sys/class/net/eth0/statistics/rx_packets)"
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
    kill_vmon
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

