#!/usr/bin/env bash
# virtio-net-pci under Debian 12's cloud kernel (issue 14), the guest driving it with busybox:
#   user      udhcpc gets 10.0.2.15 from slirp's DHCP; wget fetches a random file from a python3
#             http.server on the host's 127.0.0.1 (the guest reaches it at 10.0.2.2) and the sha1s
#             match, in fewer frames than 1460-byte segments would take (slirp's segments reach the
#             guest coalesced into GSO frames, net/coalesce.c); then the guest serves a file with
#             busybox httpd and the host fetches it through
#             hostfwd=tcp::PORT-:8080 (sha1s match)
#             and, where the host resolves names, resolves deb.debian.org through slirp's 10.0.2.3
#   legacy    virtio_pci.force_legacy=1 and mrg_rxbuf=off: the driver negotiates neither VERSION_1
#             nor MRG_RXBUF, so its frames carry the legacy 10-byte header: DHCP and the same wget work
#             (GSO frames into its 64 KiB "big packet" chains)
#   no-tso    guest_tso4=off: the same wget, frame by frame (one frame per segment at least)
#   restrict  restrict=on: the same wget fails, hostfwd still reaches the guest's server
#   ipv6      slirp's IPv6 (on by default, as QEMU's): the guest configures an fec0::/64 address
#             from slirp's router advertisement and fetches the file from the host's [::1] at
#             [fec0::2] (sha1s match, coalesced into TCPv6 GSO frames); restrict=on keeps it from the
#             host there too; ipv6=off: it gets no address
# The same over tap: tests/linux/virtio-net-tap.sh (its set-up, guest_cmd and helpers are in
# tests/linux/net-lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net-lib.sh"

# --- user networking -----------------------------------------------------------------------------
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$srv" "$port" >/dev/null 2>&1 &
SRV_PID=$!
fwd=$(free_port)
# DNS through slirp's forwarder (10.0.2.3 -> the host's resolver), where the host resolves names itself.
DNS_NAME=deb.debian.org
timeout 5 python3 -c 'import socket,sys; socket.gethostbyname(sys.argv[1])' "$DNS_NAME" 2>/dev/null || DNS_NAME=
start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net "user,hostfwd=tcp::$fwd-:8080" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(DNS_NAME=$DNS_NAME guest_cmd "http://10.0.2.2:$port/blob")")"
expect_line "$log" '^DHCP 10\.0\.2\.15 router 10\.0\.2\.2 dns 10\.0\.2\.3' "user: DHCP gave 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3"
[ "$(field GOT)" = "$want" ] || { cat "$log.err"; fail "user: the guest fetched $(field GOT), the host served $want"; }
ok "user: the guest fetched the host's file over HTTP (sha1 $want)"
rxpk() {   # rxpk WHAT MIN MAX: the guest's rx_packets after the 1 MB fetch lie in [MIN, MAX]
    local n; n=$(field RXPK)
    [ -n "$n" ] && [ "$n" -ge "$2" ] && [ "$n" -le "$3" ] || fail "$1: the guest counted ${n:-no} rx packets (want $2-$3)"
    ok "$1: 1 MB in $n received frames"
}
rxpk "user (GSO frames)" 1 400     # 1 MB in 1460-byte segments alone is 685 frames
host_fetch "http://127.0.0.1:$fwd/g" "user hostfwd"
if [ -n "$DNS_NAME" ]; then
    expect_line "$log" '^RESOLVED [0-9]' "user: the guest resolved $DNS_NAME through 10.0.2.3 ($(field RESOLVED))"
else
    echo "skip (DNS part): the host itself cannot resolve deb.debian.org"
fi
stop_guest

# --- the legacy interface: the 10-byte header -----------------------------------------------------
start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net user,mrg_rxbuf=off \
    --append "console=ttyS0 quiet virtio_pci.force_legacy=1 vmon.cmd64=$(cmd64 "$(DNS_NAME= guest_cmd "http://10.0.2.2:$port/blob")")"
expect_line "$log" '^DHCP 10\.0\.2\.15' "legacy: DHCP through the 10-byte header"
[ "$(field GOT)" = "$want" ] || { cat "$log.err"; fail "legacy: the guest fetched $(field GOT), the host served $want"; }
ok "legacy: the guest fetched the host's file over HTTP"
rxpk "legacy (GSO frames)" 1 400
stop_guest

# --- guest_tso4=off: slirp's segments one by one --------------------------------------------------
start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net user,guest_tso4=off \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(DNS_NAME= guest_cmd "http://10.0.2.2:$port/blob")")"
[ "$(field GOT)" = "$want" ] || { cat "$log.err"; fail "no-tso: the guest fetched $(field GOT), the host served $want"; }
ok "guest_tso4=off: the guest fetched the host's file over HTTP"
rxpk "guest_tso4=off (segments)" 685 100000
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

# --- IPv6: SLAAC from slirp's router advertisement, a fetch from the host's [::1] ------------------
# guest6_cmd URL: wait for an fec0:: address (DAD done when the fetch can leave), fetch URL, serve.
guest6_cmd() {
    cat <<CMD
ifconfig lo up
ifconfig eth0 up
n=0; until grep -q '^fec0' /proc/net/if_inet6 || [ \$n -ge ${WAIT6:-20} ]; do sleep 1; n=\$((n+1)); done
echo "ADDR6 \$(grep '^fec0' /proc/net/if_inet6 | cut -c1-32)"
n=0; until timeout 15 wget -q -O /tmp/f "$1" || [ \$n -ge ${RETRIES:-10} ]; do n=\$((n+1)); sleep 1; done
echo "GOT \$(sha1sum < /tmp/f)"
echo "RXPK \$(cat /sys/class/net/eth0/statistics/rx_packets)"
echo SERVING
sleep 600
CMD
}
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
    kill "$SRV_PID" 2>/dev/null
    port=$(free_port)
    python3 -m http.server --bind ::1 --directory "$srv" "$port" >/dev/null 2>&1 &
    SRV_PID=$!
    start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net user \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(guest6_cmd "http://[fec0::2]:$port/blob")")"
    expect_line "$log" '^ADDR6 fec0000000000000' "ipv6: the guest took an fec0::/64 address from slirp's advertisement ($(field ADDR6))"
    [ "$(field GOT)" = "$want" ] || { cat "$log.err"; fail "ipv6: the guest fetched $(field GOT) from [fec0::2], the host served $want"; }
    ok "ipv6: the guest fetched the host's file from [fec0::2] (the host's [::1])"
    rxpk "ipv6 (TCPv6 GSO frames)" 1 400
    stop_guest
    RETRIES=0 start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net user,restrict=on \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(RETRIES=0 guest6_cmd "http://[fec0::2]:$port/blob")")"
    [ "$(field ADDR6 | cut -c1-4)" = fec0 ] || fail "ipv6 restrict=on: the guest got no fec0:: address"
    [ "$(field GOT)" != "$want" ] || fail "ipv6 restrict=on: the guest reached the host's [::1] at [fec0::2]"
    ok "ipv6 restrict=on: with its fec0:: address the guest cannot reach the host's server"
    stop_guest
    RETRIES=0 start_guest "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" --net user,ipv6=off \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$(RETRIES=0 WAIT6=3 guest6_cmd "http://[fec0::2]:$port/blob")")"
    grep -q '^ADDR6 fec0' "$log" && fail "ipv6=off: the guest still got an fec0:: address"
    [ "$(field GOT)" != "$want" ] || fail "ipv6=off: the guest reached [fec0::2]"
    ok "ipv6=off: no IPv6 address, no fetch"
    stop_guest
else
    echo "skip (IPv6 part): the host's loopback has no ::1"
fi
