#!/usr/bin/env bash
# virtio-rng, virtio-console and virtio-vsock under Debian 12's cloud kernel (issue 14), one boot
# with all three (their modules and /bin/vsock-tool come from scripts/fetch-guest.sh):
#   rng      rng_current names virtio_rng, /dev/hwrng gives bytes, and with max-bytes=512,period=1000
#            reading 1024 bytes takes at least 1 s (a lower bound only: the device hands out exactly
#            512 bytes a second, as rng_test checks on a fake clock, but the guest kernel's own
#            hwrng reads take part of that, so the reader sees less)
#   console  a line to /dev/hvc0 (virtconsole) lands in a file chardev, and so does a kernel
#            message (console=hvc0 on the cmdline, beside ttyS0); a line to the named
#            virtserialport reaches a socket chardev's client, whose answer the guest reads back
#   vsock    the host connects through the Unix socket ("CONNECT 1234") to a guest listener and
#            they trade a line; the guest connects to CID 2 port 5000, served on <uds>_5000
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
if ! gzip -dc "$INITRD" | cpio -t 2>/dev/null | grep -qx bin/vsock-tool; then
    echo "skip: $INITRD has no /bin/vsock-tool (rerun scripts/fetch-guest.sh)"
    exit 77
fi
command -v python3 >/dev/null || { echo "skip: python3 missing (the host side of the test)"; exit 77; }
log=$TMPD/serial
uds=$TMPD/v.sock
host=tests/linux/vdev_host.py

guest_cmd='echo RNG-CURRENT $(cat /sys/class/misc/hw_random/rng_current)
t0=$(date +%s); n=$(head -c 1024 /dev/hwrng | wc -c); t1=$(date +%s)
echo RNG-BYTES $n RNG-SECS $((t1 - t0))
echo HVC-HELLO > /dev/hvc0
echo "<2>HVC-KMSG-LINE" > /dev/kmsg
p=$(ls /sys/class/virtio-ports | grep "p1$")
echo PORT-NAME $(cat /sys/class/virtio-ports/$p/name)
exec 3<>/dev/$p
echo PORT-HELLO >&3
echo PORT-READ $(timeout 120 head -n1 <&3)
exec 3<&-
timeout 120 vsock-tool listen 1234 &
timeout 120 vsock-tool connect 2 5000 guest-to-host
wait'

TIMEOUT=$BOOT_TIMEOUT python3 "$host" port "$TMPD/port.sock" > "$TMPD/port.out" 2>&1 &
p1=$!
TIMEOUT=$BOOT_TIMEOUT python3 "$host" vsock-out "$uds" 5000 > "$TMPD/out.out" 2>&1 &
p2=$!
TIMEOUT=$BOOT_TIMEOUT python3 "$host" vsock-in "$uds" 1234 > "$TMPD/in.out" 2>&1 &
p3=$!
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
    -device virtio-rng-pci,max-bytes=512,period=1000 \
    -device virtio-serial-pci -chardev file,id=c0,path="$TMPD/hvc" \
    -chardev socket,id=c1,path="$TMPD/port.sock",server=on,wait=off \
    -device virtconsole,chardev=c0 -device virtserialport,chardev=c1,name=org.vmon.test \
    -device vhost-vsock-pci,guest-cid=3,uds="$uds" \
    --append "console=ttyS0 console=hvc0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")"
for p in $p1 $p2 $p3; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
done
expect_booted "$log"
grep -q 'vhost-vsock' "$log.err" && ok "vmon says what it does without /dev/vhost-vsock: $(grep -m1 vhost-vsock "$log.err")"

expect_line "$log" '^RNG-CURRENT virtio_rng' "rng_current names virtio_rng"
expect_line "$log" '^RNG-BYTES 1024 ' "/dev/hwrng gives 1024 bytes"
secs=$(sed -n 's/.*RNG-SECS \([0-9]*\).*/\1/p' "$log" | head -n1)
[ "${secs:-0}" -ge 1 ] || fail "1024 bytes at max-bytes=512,period=1000 took ${secs:-?} s, want >= 1"
ok "the rate limit holds: 1024 bytes took $secs s"

grep -q '^HVC-HELLO' "$TMPD/hvc" || fail "the hvc0 line is not in the file chardev: $(cat "$TMPD/hvc")"
ok "a line on /dev/hvc0 reached the file chardev"
grep -q 'HVC-KMSG-LINE' "$TMPD/hvc" || fail "console=hvc0: the kernel message is not in the file chardev"
ok "console=hvc0: a kernel message reached the file chardev"
expect_line "$log" '^PORT-NAME org.vmon.test' "the port carries its name"
grep -q '^PORT-RECV PORT-HELLO' "$TMPD/port.out" || fail "socket chardev: $(cat "$TMPD/port.out")"
ok "a line on the virtserialport reached the socket chardev's client"
expect_line "$log" '^PORT-READ HOST-TO-PORT' "the client's line reached the guest's port"

grep -q '^HOST-OK OK [0-9]' "$TMPD/in.out" || fail "vsock CONNECT: $(cat "$TMPD/in.out")"
ok "host CONNECT 1234 answered: $(grep -m1 HOST-OK "$TMPD/in.out")"
expect_line "$log" '^GOT host-to-guest' "the host's line reached the guest's vsock listener"
grep -q '^HOST-REPLY PONG host-to-guest' "$TMPD/in.out" || fail "vsock reply: $(cat "$TMPD/in.out")"
ok "the guest's answer reached the host"
grep -q '^HOST-GOT guest-to-host' "$TMPD/out.out" || fail "guest->host vsock: $(cat "$TMPD/out.out")"
ok "the guest's connection to CID 2 port 5000 reached <uds>_5000"
expect_line "$log" '^REPLY HOST-PONG guest-to-host' "the host's answer reached the guest"
