#!/usr/bin/env bash
# Seeds for make fuzz-vmstate: DIR gets state files the counting guest saves under the soft CPU (with a
# virtio-blk disk attached, so the disk's section is there), their RAM cut to one page (the header
# says so) to keep them small, and a few hand-cut variants.
set -u
dir=${1:?usage: fuzz-seeds.sh DIR}
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 1048576 /dev/zero > "$tmp/disk.raw"
"$VMON" run --accel soft --mem 16M --kernel "$BUILD/snapshot/count-guest.elf" --append "limit=100 period=10000000" \
    --drive "file=$tmp/disk.raw,format=raw,if=virtio" -qmp "unix:$tmp/q.sock,server" >"$tmp/a.log" 2>&1 &
python3 "$here/snap.py" "$tmp/q.sock" "$tmp/a.log" 2 "$tmp/prefix" "$tmp/state" || { echo "fuzz-seeds: saving failed"; exit 1; }
wait
python3 - "$tmp/state" "$dir" <<'P'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = bytearray(open(src, "rb").read())
ram_off = struct.unpack_from("<Q", b, 88)[0]
struct.pack_into("<Q", b, 48, 4096)          # RAM size
struct.pack_into("<Q", b, 96, 4096)          # RAM length
small = bytes(b[:ram_off + 4096])
open(out + "/saved", "wb").write(small)
sect_off, sect_len = struct.unpack_from("<QQ", b, 64)
open(out + "/sections-only", "wb").write(small[:sect_off + sect_len])
P
echo "fuzz-seeds: $(ls "$dir" | wc -l) seeds in $dir"
