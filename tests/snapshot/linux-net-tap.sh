#!/usr/bin/env bash
# virtio-net on a tap (two queue pairs, 2 vCPUs) saved and restored under the software CPU (issue 18),
# inside a network namespace the test creates: the tap's kernel side is the host's, so only the
# device is in the state file (its queues, the pairs the driver enabled, its config). The guest takes
# a static address and fetches a file from a python3 server on the host side of the tap, says SAVE-NOW
# and sleeps; the host saves it (QMP x-vmon-save-state) and ends that vmon, which takes its tap with it.
# A second vmon --restore's the file on a new tap of the same name (given the same address and MAC on
# the host side): the guest wakes and fetches a second file. Skipped (77)
# where namespaces or /dev/net/tun are not available.
set -u
. "$(dirname "$0")/../linux/lib.sh"
. "$(dirname "$0")/lib-save.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun"; exit 77; }
NS=vmon-snap-$$
ip netns add "$NS" 2>"$TMPD/ns.err" || { echo "skip: cannot create a network namespace: $(cat "$TMPD/ns.err")"; exit 77; }
SRV_PID=
trap '[ -n "$SRV_PID" ] && kill $SRV_PID 2>/dev/null; [ -n "$VMON_PID" ] && kill -9 $VMON_PID 2>/dev/null; ip netns del "$NS"; rm -rf "$TMPD"' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
srv=$TMPD/www
mkdir -p "$srv"
for f in one two; do head -c 300000 /dev/urandom > "$srv/$f"; done
sum() { sha1sum < "$srv/$1" | cut -d' ' -f1; }
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
port=8000
fetch() {   # fetch NAME TAG: the guest's wget of the host's file (retried), then its sha1
    echo "n=0; until timeout 10 wget -q -O /tmp/$1 http://10.0.3.1:$port/$1 || [ \$n -ge 30 ]; do n=\$((n+1)); sleep 1; done"
    echo "echo $2 \$(sha1sum < /tmp/$1)"
}
guest_cmd="ifconfig lo up; ifconfig eth0 10.0.3.2 netmask 255.255.255.0 up
$(fetch one GOT1)
echo QUEUES \$(ls /sys/class/net/eth0/queues | tr '\n' ' ')
echo SAVE-NOW
sleep 3
echo AFTER-SLEEP
$(fetch two GOT2)"
NET=(--cpus 2 --net tap,ifname=vmtap0,queues=2)
host_side() {   # the tap vmon created: the host's address and a fixed MAC (the guest's ARP entry)
    local n=0
    until in_ns ip link show vmtap0 >/dev/null 2>&1 || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
    in_ns ip link set vmtap0 address 02:00:00:00:03:01 && in_ns ip addr add 10.0.3.1/24 dev vmtap0 ||
        fail "vmon did not create vmtap0"
}
serve() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    in_ns python3 -m http.server --bind 10.0.3.1 --directory "$srv" "$port" >/dev/null 2>"$TMPD/srv.err" &
    SRV_PID=$!
}

a=$TMPD/a.log
in_ns "$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" "${NET[@]}" \
    -qmp "unix:$TMPD/q.sock,server,wait=off" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")" </dev/null >"$a" 2>"$a.err" &
VMON_PID=$!
host_side
serve
wait_for "$a" '^SAVE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$a"; cat "$a.err"; fail "the guest never got to SAVE-NOW"; }
expect_line "$a" '^QUEUES rx-0 rx-1 tx-0 tx-1' "the guest runs two queue pairs"
[ "$(field "$a" GOT1)" = "$(sum one)" ] || fail "the first fetch read '$(field "$a" GOT1)', the host served $(sum one)"
ok "the guest fetched the host's first file over the tap"
save_and_quit "$a" ""

b=$TMPD/b.log
in_ns timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --mem 256M "${NET[@]}" --restore "$TMPD/state" \
    </dev/null >"$b" 2>"$b.err" &
VMON_PID=$!
host_side
serve
wait "$VMON_PID"
rc=$?
VMON_PID=
[ $rc -eq 0 ] || { tail -20 "$b"; cat "$b.err"; fail "the restored vmon exited $rc, want 0 (poweroff)"; }
expect_line "$b" '^AFTER-SLEEP' "the restored guest wakes from its sleep"
[ "$(field "$b" GOT2)" = "$(sum two)" ] || { cat "$b.err"; fail "after the restore the fetch read '$(field "$b" GOT2)'"; }
ok "the restored guest fetched the host's second file over the new tap"
