#!/usr/bin/env bash
# TCP stream through user networking (issue 14), vmon --accel soft vs qemu-system-x86_64 -accel tcg
# with -netdev user + -device virtio-net-pci, same kernel and initramfs, in one run: the guest
# sends BENCH_NET_MIB MiB to a host server on 127.0.0.1 (busybox dd | nc to 10.0.2.2), then reads as
# many from it (nc | wc -c); tests/linux/net-bench-server.py times both on the host. The VMMs take
# turns, BENCH_NET_RUNS rounds (default 3: one run on this shared machine swings by 30%); prints the
# median MB/s per direction and vmon/QEMU (> 1: vmon is faster). Env: BENCH_NET_MIB (default 32), QEMU,
# BENCH_NET_USER (vmon's --net value, default user; e.g. user,mtu=9000), BENCH_NET_BASE (a second
# vmon binary, e.g. an older build, measured in the same run as its own row).
set -u
. "$(dirname "$0")/../../benches/lib.sh"
MIB=${BENCH_NET_MIB:-32}
HERE=$(cd "$(dirname "$0")" && pwd)

bench_header "TCP stream over user networking: vmon --accel soft vs QEMU -accel tcg"
if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
    echo "skip: $KERNEL or $INITRD missing (make guest-linux)"
    exit 0
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_one NAME CMD...: boots CMD with the guest command, prints "g2h_MBps h2g_MBps" or "- -".
run_one() {
    shift
    local pa pb out srv
    pa=$(free_port); pb=$(free_port)
    out=$(mktemp)
    python3 "$HERE/net-bench-server.py" "$pa" "$pb" $((MIB * 1048576)) >"$out" &
    srv=$!
    local n=0
    until grep -q READY "$out" || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
    local cmd="ifconfig eth0 up; udhcpc -i eth0 -n -q -s /tmp/s >/dev/null 2>&1 || true
ifconfig eth0 10.0.2.15 netmask 255.255.255.0
dd if=/dev/zero bs=65536 count=$((MIB * 16)) 2>/dev/null | nc 10.0.2.2 $pa
nc 10.0.2.2 $pb | wc -c"
    local app="console=ttyS0 quiet vmon.cmd64=$(printf '%s' "$cmd" | base64 -w0)"
    timeout 600 "$@" -kernel "$KERNEL" -initrd "$INITRD" -append "$app" </dev/null >"$out.vm" 2>&1
    wait "$srv"
    local g h
    g=$(sed -n 's/^g2h //p' "$out"); h=$(sed -n 's/^h2g //p' "$out")
    rm -f "$out" "$out.vm"
    mbps() { [ "$1" = - ] || [ -z "$1" ] && echo - || echo "scale=1; $MIB * 1.048576 / $1" | bc -l; }
    echo "$(mbps "$g") $(mbps "$h")"
}

NETV=${BENCH_NET_USER:-user}
RUNS=${BENCH_NET_RUNS:-3}
vg=(); vh=(); bg=(); bh=(); qg=(); qh=()
for _ in $(seq "$RUNS"); do
    read -r g h < <(run_one vmon "$VMON" run --accel soft --net "$NETV"); vg+=("$g"); vh+=("$h")
    if [ -n "${BENCH_NET_BASE:-}" ]; then
        read -r g h < <(run_one base "$BENCH_NET_BASE" run --accel soft --net "$NETV"); bg+=("$g"); bh+=("$h")
    fi
    if command -v "$QEMU" >/dev/null; then
        read -r g h < <(run_one qemu "$QEMU" -accel tcg -m 512 -nographic -nodefaults -serial stdio \
            -no-reboot -netdev user,id=n0 -device virtio-net-pci,netdev=n0)
        qg+=("$g"); qh+=("$h")
    fi
done
# median V...: the middle value of those measured ("-" when a run failed or none ran).
median() {
    local v
    v=$(printf '%s\n' "$@" | grep -v '^-$' | grep . | sort -n)
    [ -z "$v" ] || [ "$(echo "$v" | wc -l)" -ne "$#" ] && { echo -; return; }
    echo "$v" | sed -n "$((($# + 1) / 2))p"
}
echo "runs, MB/s: vmon g2h ${vg[*]} h2g ${vh[*]}; QEMU g2h ${qg[*]:--} h2g ${qh[*]:--}"
vg=$(median "${vg[@]}"); vh=$(median "${vh[@]}")
qg=$(median "${qg[@]}"); qh=$(median "${qh[@]}")
if [ -n "${BENCH_NET_BASE:-}" ]; then
    echo "runs, MB/s: base g2h ${bg[*]} h2g ${bh[*]}"
    bg=$(median "${bg[@]}"); bh=$(median "${bh[@]}")
fi
ratio() { [ "$1" = - ] || [ "$2" = - ] && echo - || printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }
printf '%-22s %12s %12s %10s\n' "$MIB MiB, median MB/s" "vmon soft" "QEMU TCG" "vmon/QEMU"
printf '%-22s %12s %12s %10s\n' "guest -> host" "$vg" "$qg" "$(ratio "$vg" "$qg")"
printf '%-22s %12s %12s %10s\n' "host -> guest" "$vh" "$qh" "$(ratio "$vh" "$qh")"
if [ -n "${BENCH_NET_BASE:-}" ]; then
    printf '%-22s %12s %12s %10s\n' "base: guest -> host" "$bg" "$qg" "$(ratio "$bg" "$qg")"
    printf '%-22s %12s %12s %10s\n' "base: host -> guest" "$bh" "$qh" "$(ratio "$bh" "$qh")"
fi
echo "vmon --net $NETV; load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
