#!/usr/bin/env bash
# A Linux guest that sends malformed frames leaves vmon running (issue 14): tests/linux/net-garbage.c,
# built here with gcc -static and put in the initramfs, sends runt, random, lying-header, MTU-sized
# and odd-offload (PACKET_VNET_HDR) frames out of eth0 through AF_PACKET raw sockets over user
# networking with mtu=9000; afterwards the guest still fetches a 4 MB file from the host over HTTP and sends one
# back with nc (sha1s match both ways: big transfers through mergeable receive buffers), and vmon
# exits 0 at the guest's poweroff. Also checks the driver took VIRTIO_NET_F_MRG_RXBUF and
# VIRTIO_NET_F_MTU (the guest's eth0 MTU is the user network's 9000: its 9014-byte frames take
# several 1.5 KB mergeable buffers each, and slirp sends it segments that size).
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
command -v gcc >/dev/null || { echo "skip: no gcc to build the guest program"; exit 77; }
command -v cpio >/dev/null || { echo "skip: no cpio to extend the initramfs"; exit 77; }
mkdir -p "$TMPD/root/bin"
gcc -static -O2 -o "$TMPD/root/bin/net-garbage" tests/linux/net-garbage.c 2>"$TMPD/gcc.err" ||
    { cat "$TMPD/gcc.err"; echo "skip: gcc -static cannot link here (libc6-dev's static libc missing?)"; exit 77; }
(cd "$TMPD/root" && find . | cpio -o -H newc --quiet) > "$TMPD/extra.cpio"
cat "$TMPD/extra.cpio" "$INITRD" > "$TMPD/initrd"

log=$TMPD/serial
mkdir -p "$TMPD/www"
head -c 4000000 /dev/urandom > "$TMPD/www/blob"
want=$(sha1sum < "$TMPD/www/blob" | cut -d' ' -f1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
sink=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$TMPD/www" "$port" >/dev/null 2>&1 &
SRV=$!
# The host's sink: the sha1 of what one connection sends.
python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(500)
c, _ = s.accept(); h = hashlib.sha1(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
print(h.hexdigest(), n, flush=True)' "$sink" > "$TMPD/sink" 2>&1 &
SINK=$!
trap 'kill $SRV $SINK 2>/dev/null; cleanup' EXIT

cmd="ifconfig lo up
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
echo \"MTU \$(cat /sys/class/net/eth0/mtu)\"
echo \"FEATURES \$(cat /sys/class/net/eth0/device/features)\"
/bin/net-garbage eth0 300 0x1234abcd
echo GARBAGE-DONE
n=0; until timeout 120 wget -q -O /tmp/f http://10.0.2.2:$port/blob || [ \$n -ge 3 ]; do n=\$((n+1)); sleep 1; done
echo \"GOT \$(sha1sum < /tmp/f)\"
nc 10.0.2.2 $sink < /tmp/f
echo SENT-BACK"
boot "$log" --kernel "$KERNEL" --initrd "$TMPD/initrd" --net user,mtu=9000 \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$cmd")"
[ "$RC" -eq 0 ] || { tail -n 30 "$log"; cat "$log.err"; fail "vmon exited $RC, want 0 after the guest's poweroff"; }
expect_line "$log" '^GARBAGE-DONE' "the guest sent its malformed frames"
for k in runt garbage lies oversized offloads; do
    n=$(sed -n "s/^SENT $k \([0-9]*\).*/\1/p" "$log" | tr -d '\r')
    echo "  $k: ${n:-?} frames left the guest"
done
for k in runt garbage lies; do
    grep -qa "^SENT $k [1-9]" "$log" || fail "no $k frame got out of the guest (its kernel refused them all?)"
done
ok "vmon kept running through them (vmon's stderr: $(grep -c . "$log.err") lines$(head -n 3 "$log.err" | sed 's/^/; /' | tr '\n' ' '))"
expect_line "$log" '^MTU 9000' "the guest's MTU is the user network's 9000 (VIRTIO_NET_F_MTU)"
feat=$(sed -n 's/^FEATURES \([01]*\).*/\1/p' "$log" | tr -d '\r')
[ "${feat:15:1}" = 1 ] || fail "the driver did not take VIRTIO_NET_F_MRG_RXBUF (features $feat)"
ok "the driver took VIRTIO_NET_F_MRG_RXBUF"
got=$(sed -n 's/^GOT \([0-9a-f]*\).*/\1/p' "$log" | tr -d '\r')
[ "$got" = "$want" ] || { tail -n 20 "$log"; fail "after the garbage the guest fetched '$got', the host served $want"; }
ok "after the garbage: the guest fetched 4 MB from the host over HTTP (sha1 $want)"
wait "$SINK"
read -r back n < "$TMPD/sink"
[ "$back" = "$want" ] || fail "the host got '$back' ($n bytes) from the guest's nc, want $want"
ok "after the garbage: the host got the 4 MB back from the guest (sha1 $back)"
