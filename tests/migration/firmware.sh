#!/usr/bin/env bash
# Live migration of a firmware-booted VM (issues 15 and 18): SeaBIOS runs tests/firmware/kbdsector.S
# from a raw virtio-blk disk (shared storage), the VM migrates over tcp between the accelerators,
# and the destination must go on echoing keys through SeaBIOS's int 16h, whose code is the PAM shadow
# at 0xf0000 that came over in RAM (the destination loads no ROM). From KVM this is the dirty log over
# the slots the PAM window splits the low RAM into (accel/kvm/pam.c). PAIRS="from:to ..." picks.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
[ -f /usr/share/seabios/bios-256k.bin ] || { echo "skip: Debian's seabios package missing"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
. "$here/../firmware/lib.sh"
fw_bootsector "$here/../firmware/kbdsector.S"
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
drive="file=$tmp/disk.img,format=raw,if=virtio"

pairs=${PAIRS:-soft:soft}
# Not kvm:soft: SeaBIOS registers kvmclock under KVM (MSR 0x4b564d01 at its data in 0xe8000), which
# a soft CPU without KVM's paravirtual features refuses on load (so did the tree before the PAM).
[ -z "${PAIRS:-}" ] && [ "$accels" = "soft kvm" ] && pairs="soft:soft kvm:kvm soft:kvm"
for pair in $pairs; do
    from=${pair%:*} to=${pair#*:} d="$tmp/$from-$to" p=$(port)
    mkdir -p "$d"
    "$VMON" run --accel "$to" -nographic -incoming "tcp:127.0.0.1:$p" --drive "$drive" \
        -qmp "unix:$d/q2.sock,server,nowait" >"$d/b.log" 2>"$d/b.err" &
    dst=$!
    pids+=($dst)
    "$VMON" run --accel "$from" -nographic --drive "$drive" -qmp "unix:$d/q.sock,server" \
        >"$d/a.log" 2>"$d/a.err" &
    src=$!
    pids+=($src)
    timeout 300 python3 "$here/firmware.py" "$d" "$p" >"$d/res" 2>&1
    rc=$?
    timeout 60 tail --pid=$dst -f /dev/null
    wait $dst
    drc=$?
    kill -9 $src 2>/dev/null
    if [ $rc -eq 0 ] && [ $drc -eq 33 ]; then
        echo "ok: $from -> $to: the destination echoes i and ends on q (status 33)"
    else
        echo "FAIL: $from -> $to (destination status $drc):"
        cat "$d/res"; grep -v vmx "$d/a.err" "$d/b.err" | tail -5; tail -c 200 "$d/b.log"; echo
        fail=1
    fi
done
exit $fail
