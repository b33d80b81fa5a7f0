#!/usr/bin/env bash
# virtio-net-pci on a tap (issue 14), inside a network namespace the test creates: vmon creates the
# tap (ifname=, queues=2) and brings it up; the guest (2 vCPUs, so Linux enables both queue pairs
# through the control queue) takes a static address, fetches a random file from a python3 server on
# the host side of the tap (sha1s match), and serves one the host fetches (sha1s match). Its TSO
# frames reach the tap whole (the vnet header's offloads): the tap counts fewer packets than a
# 1514-byte MTU would need. Skipped (77) with the reason where namespaces or /dev/net/tun are not
# available (not root, no CAP_NET_ADMIN).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net-lib.sh"

[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun"; exit 77; }
NS=vmon-net-$$
ip netns add "$NS" 2>"$TMPD/ns.err" || { echo "skip: cannot create a network namespace: $(cat "$TMPD/ns.err")"; NS=; exit 77; }
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
port=$(free_port)
in_ns python3 -m http.server --bind 10.0.3.1 --directory "$srv" "$port" >/dev/null 2>"$TMPD/srv.err" &
SRV_PID=$!
: > "$log"
in_ns "$VMON" run --accel soft --cpus 2 --kernel "$KERNEL" --initrd "$INITRD" --net tap,ifname=vmtap0,queues=2 \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(RETRIES=60 guest_cmd "http://10.0.3.1:$port/blob" 10.0.3.2)")" \
    </dev/null >"$log" 2>"$log.err" &
VMON_PID=$!
n=0
until in_ns ip link show vmtap0 >/dev/null 2>&1 || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
in_ns ip addr add 10.0.3.1/24 dev vmtap0 || { cat "$log.err"; fail "vmon did not create vmtap0"; }
ok "vmon created vmtap0 in the namespace ($(in_ns ip -br link show vmtap0 | tr -s ' '))"
wait_for "$log" '^SERVING' "$BOOT_TIMEOUT" || { tail -n 30 "$log"; cat "$log.err"; fail "the guest did not get to serving"; }
expect_line "$log" 'rx-0 rx-1 tx-0 tx-1' "the guest runs two queue pairs (MQ)"
[ "$(field GOT)" = "$want" ] || { cat "$log.err" "$TMPD/srv.err"; fail "the guest fetched $(field GOT), the host served $want"; }
ok "the guest fetched the host's file over the tap (sha1 $want)"
stats() { in_ns cat "/sys/class/net/vmtap0/statistics/$1"; }
p0=$(stats rx_packets); b0=$(stats rx_bytes)
got=$(in_ns python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())' \
      http://10.0.3.2:8080/g | sha1sum | cut -d' ' -f1)
[ "$got" = "$(field GSUM)" ] || { cat "$log.err"; fail "host read $got, the guest has $(field GSUM)"; }
ok "the host fetched the guest's file ($got)"
p=$(( $(stats rx_packets) - p0 )); b=$(( $(stats rx_bytes) - b0 ))
[ "$p" -gt 0 ] && [ $((b / p)) -gt 1514 ] ||
    fail "the guest's 300 kB came as $p frames of $((p ? b / p : 0)) bytes on average: no TSO through the tap"
ok "TSO: the guest's $b bytes reached the tap as $p frames ($((b / p)) bytes on average)"
grep -q 'vhost-net' "$log.err" && ok "$(grep -m1 vhost-net "$log.err")"
stop_guest
