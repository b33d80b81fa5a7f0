#!/usr/bin/env bash
# Seeds for make fuzz-vmstate: DIR gets state files the counting guest saves under the soft CPU (with a
# virtio-blk disk, a virtio-mmio disk, a virtio-net NIC on user networking, virtio-rng, virtio-serial with
# a virtconsole, vsock, and an IDE disk and CD of 1 MiB each, as fuzz-vmstate's rig has them, so their
# sections are there) and a firmware boot saves (SeaBIOS waiting
# on an empty disk: the VGA, PS/2 keyboard and PIIX4 PM sections), their RAM cut to one page (the
# header says so) to keep them small, and each one's sections alone.
set -u
dir=${1:?usage: fuzz-seeds.sh DIR}
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 1048576 /dev/zero > "$tmp/disk.raw"
head -c 1048576 /dev/zero > "$tmp/ide.raw"
head -c 1048576 /dev/zero > "$tmp/cd.raw"
head -c 1048576 /dev/zero > "$tmp/mmio.raw"
"$VMON" run --accel soft --mem 16M --kernel "$BUILD/snapshot/count-guest.elf" --append "limit=100 period=10000000" \
    --drive "file=$tmp/disk.raw,format=raw,if=virtio" --net user -device virtio-rng-pci \
    --drive "file=$tmp/ide.raw,format=raw,if=ide" -cdrom "$tmp/cd.raw" \
    --drive "file=$tmp/mmio.raw,format=raw,if=virtio-mmio" -device virtio-serial-pci \
    -chardev "file,id=c0,path=$tmp/hvc" -device virtconsole,chardev=c0 -device vhost-vsock-pci,guest-cid=3 \
    -qmp "unix:$tmp/q.sock,server" >"$tmp/a.log" 2>&1 &
python3 "$here/snap.py" "$tmp/q.sock" "$tmp/a.log" 2 "$tmp/prefix" "$tmp/state" || { echo "fuzz-seeds: saving failed"; exit 1; }
wait
# A firmware boot (SeaBIOS, its VGA, the PIIX4 PM function) waiting on an empty disk, where present.
if [ -f /usr/share/seabios/bios-256k.bin ]; then
    "$VMON" run --accel soft --mem 16M --drive "file=$tmp/disk.raw,format=raw,if=virtio" \
        -qmp "unix:$tmp/f.sock,server" >"$tmp/f.log" 2>&1 &
    python3 - "$here" "$tmp/f.sock" "$tmp/f.log" "$tmp/fw-state" <<'P'
import sys, time
sys.path.insert(0, sys.argv[1])
from snap import Qmp
q = Qmp(sys.argv[2])
for _ in range(600):
    if b"Booting from Hard Disk" in open(sys.argv[3], "rb").read():
        break
    time.sleep(0.1)
assert q.cmd("x-vmon-save-state", {"file": sys.argv[4]}).get("return") == {}
q.cmd("quit")
P
    wait
fi
python3 - "$tmp/state" "$dir" "$tmp/fw-state" <<'P'
import os, struct, sys
out = sys.argv[2]
for src, name in ((sys.argv[1], "saved"), (sys.argv[3], "firmware")):
    if not os.path.exists(src):
        continue
    b = bytearray(open(src, "rb").read())
    ram_off = struct.unpack_from("<Q", b, 88)[0]
    struct.pack_into("<Q", b, 48, 4096)          # RAM size
    struct.pack_into("<Q", b, 96, 4096)          # RAM length
    small = bytes(b[:ram_off + 4096])
    open(os.path.join(out, name), "wb").write(small)
    sect_off, sect_len = struct.unpack_from("<QQ", b, 64)
    open(os.path.join(out, name + "-sections-only"), "wb").write(small[:sect_off + sect_len])
P
echo "fuzz-seeds: $(ls "$dir" | wc -l) seeds in $dir"
