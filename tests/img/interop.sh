#!/usr/bin/env bash
# Interop with Debian's qemu-img, both directions: images vmon writes pass qemu-img check and read
# back identically through qemu-img; images qemu-img writes read identically through vmon. Over
# cluster sizes 512 B..2 MiB, compat 0.10/1.1, refcount widths, extended L2, compression, backing chains.
set -u
VMON=$(realpath "${VMON:-build/vmon}")
BLKIO=$(realpath "${BUILD:-build}/tests/img/blkio")
command -v qemu-img >/dev/null || { echo "skip: qemu-img (Debian qemu-utils) is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
ok_check() {   # image must be clean for qemu-img
    qemu-img check -q "$1" >"$T/check.out" 2>&1 || { bad "qemu-img check $1 ($2): $(head -3 "$T/check.out")"; }
}
same() {       # raw reference vs image, both through qemu-img and through vmon
    qemu-img compare -q "$1" "$2" || bad "qemu-img compare $1 $2 ($3)"
    "$VMON" img compare -q "$1" "$2" || bad "vmon img compare $1 $2 ($3)"
}
SIZE=24M
N=${VMON_QUICK:+40}
N=${N:-100}

configs=(
  "cluster_size=512,compat=0.10"
  "cluster_size=512,refcount_bits=1"
  "cluster_size=4096,refcount_bits=2"
  "cluster_size=4096,compat=0.10"
  "cluster_size=16384,extended_l2=on"
  "cluster_size=65536"
  "cluster_size=65536,refcount_bits=64"
  "cluster_size=65536,extended_l2=on,refcount_bits=8"
  "cluster_size=131072,refcount_bits=4,lazy_refcounts=on"
  "cluster_size=2097152"
  "cluster_size=2097152,extended_l2=on,refcount_bits=32"
)
[ -n "${VMON_QUICK:-}" ] && configs=("cluster_size=512,compat=0.10" "cluster_size=65536,extended_l2=on,refcount_bits=8" "cluster_size=2097152")

seed=1
for o in "${configs[@]}"; do
    seed=$((seed + 1))
    # 1. vmon creates and writes; qemu-img checks and reads.
    "$VMON" img create -q -f qcow2 -o "$o" "$T/v.qcow2" $SIZE || { bad "create $o"; continue; }
    rm -f "$T/ref.raw"; truncate -s $SIZE "$T/ref.raw"
    "$BLKIO" random "$T/v.qcow2" qcow2 "$N" $seed wwwzfd || bad "blkio random qcow2 ($o)"
    "$BLKIO" random "$T/ref.raw" raw "$N" $seed wwwzfd || bad "blkio random raw ($o)"
    ok_check "$T/v.qcow2" "$o"
    same "$T/ref.raw" "$T/v.qcow2" "vmon wrote, $o"
    qemu-img convert -O raw "$T/v.qcow2" "$T/out.raw" && cmp -s "$T/out.raw" "$T/ref.raw" || bad "qemu-img convert of vmon image ($o)"

    # 2. qemu-img creates and writes; vmon reads, then writes more, and qemu-img checks.
    qemu-img convert -O qcow2 -o "$o" "$T/ref.raw" "$T/q.qcow2" || { bad "qemu-img convert -o $o"; continue; }
    "$VMON" img convert -O raw "$T/q.qcow2" "$T/back.raw" && cmp -s "$T/back.raw" "$T/ref.raw" || bad "vmon convert of qemu image ($o)"
    "$VMON" img check "$T/q.qcow2" >/dev/null || bad "vmon img check of qemu image ($o)"
    "$BLKIO" random "$T/q.qcow2" qcow2 "$N" $((seed + 100)) wwzfd || bad "blkio random on qemu image ($o)"
    "$BLKIO" random "$T/ref.raw" raw "$N" $((seed + 100)) wwzfd || bad "blkio random raw 2 ($o)"
    ok_check "$T/q.qcow2" "$o, vmon wrote into qemu's image"
    same "$T/ref.raw" "$T/q.qcow2" "vmon wrote into qemu image, $o"

    # 3. vmon convert to qcow2 with the same options, and compressed (qemu-img reads both).
    "$VMON" img convert -O qcow2 -o "$o" "$T/ref.raw" "$T/vc.qcow2" || bad "vmon convert -O qcow2 -o $o"
    ok_check "$T/vc.qcow2" "$o convert"
    same "$T/ref.raw" "$T/vc.qcow2" "vmon convert, $o"
    case $o in *extended_l2=on*) ;; *)
        for ct in zlib zstd; do
            case $o in *compat=0.10*) [ $ct = zstd ] && continue;; esac
            "$VMON" img convert -c -O qcow2 -o "$o,compression_type=$ct" "$T/ref.raw" "$T/vz.qcow2" || bad "vmon convert -c $ct ($o)"
            ok_check "$T/vz.qcow2" "$o compressed $ct by vmon"
            same "$T/ref.raw" "$T/vz.qcow2" "vmon compressed $ct, $o"
            qemu-img convert -c -O qcow2 -o "$o,compression_type=$ct" "$T/ref.raw" "$T/qz.qcow2" || bad "qemu-img convert -c ($o)"
            "$VMON" img convert -O raw "$T/qz.qcow2" "$T/back.raw" && cmp -s "$T/back.raw" "$T/ref.raw" || bad "vmon reads qemu compressed $ct ($o)"
            "$VMON" img check "$T/qz.qcow2" >/dev/null || bad "vmon img check of qemu compressed $ct ($o)"
            # vmon overwrites parts of a compressed image (copy-on-write out of compressed clusters)
            cp "$T/ref.raw" "$T/ref2.raw"
            "$BLKIO" random "$T/qz.qcow2" qcow2 30 $((seed + 7)) wz || bad "blkio on compressed ($o)"
            "$BLKIO" random "$T/ref2.raw" raw 30 $((seed + 7)) wz || bad "blkio raw ($o)"
            ok_check "$T/qz.qcow2" "$o, vmon wrote over compressed clusters"
            same "$T/ref2.raw" "$T/qz.qcow2" "writes over compressed $ct, $o"
        done;;
    esac
done

# 4. Backing chains: qemu base <- vmon mid <- qemu top <- vmon writes; relative names in a subdirectory.
mkdir -p "$T/chain/sub"
rm -f "$T/ref.raw"; truncate -s $SIZE "$T/ref.raw"
"$BLKIO" random "$T/ref.raw" raw 60 91 w
qemu-img convert -O qcow2 -o cluster_size=4096 "$T/ref.raw" "$T/chain/base.qcow2"
(cd "$T/chain" && "$VMON" img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2) || bad "create mid"
"$BLKIO" random "$T/chain/mid.qcow2" qcow2 60 92 wz || bad "write mid"
"$BLKIO" random "$T/ref.raw" raw 60 92 wz
qemu-img create -q -f qcow2 -o cluster_size=65536 -b ../mid.qcow2 -F qcow2 "$T/chain/sub/top.qcow2" || bad "qemu create top"
qemu-io -c "write -P 0x5a 1M 200k" -c "write -z 3M 1M" "$T/chain/sub/top.qcow2" >/dev/null || bad "qemu-io top"
qemu-io -f raw -c "write -P 0x5a 1M 200k" -c "write -z 3M 1M" "$T/ref.raw" >/dev/null
"$BLKIO" random "$T/chain/sub/top.qcow2" qcow2 60 93 wz || bad "vmon writes top"
"$BLKIO" random "$T/ref.raw" raw 60 93 wz
for f in base mid sub/top; do ok_check "$T/chain/$f.qcow2" "chain $f"; done
same "$T/ref.raw" "$T/chain/sub/top.qcow2" "backing chain"
"$VMON" img convert -O raw "$T/chain/sub/top.qcow2" "$T/back.raw" && cmp -s "$T/back.raw" "$T/ref.raw" || bad "vmon convert chain"
# v2 image over a backing file: zero writes must hide the backing data
"$VMON" img create -q -f qcow2 -o compat=0.10 -b "$T/chain/base.qcow2" -F qcow2 "$T/chain/v2.qcow2"
qemu-img convert -O raw "$T/chain/base.qcow2" "$T/ref3.raw"
"$BLKIO" random "$T/chain/v2.qcow2" qcow2 60 94 wz; "$BLKIO" random "$T/ref3.raw" raw 60 94 wz
ok_check "$T/chain/v2.qcow2" "v2 over backing"
same "$T/ref3.raw" "$T/chain/v2.qcow2" "v2 over backing"

# 5. Internal snapshots made by qemu-img read through vmon, and the other way round.
rm -f "$T/ref.raw"; truncate -s $SIZE "$T/ref.raw"
"$BLKIO" random "$T/ref.raw" raw 40 95 w
qemu-img convert -O qcow2 "$T/ref.raw" "$T/s.qcow2"
qemu-img snapshot -c one "$T/s.qcow2"
qemu-io -c "write -P 0x77 0 3M" -c "write -z 8M 1M" "$T/s.qcow2" >/dev/null
qemu-img convert -O raw "$T/s.qcow2" "$T/now.raw"
"$VMON" img convert -O raw "$T/s.qcow2" "$T/back.raw" && cmp -s "$T/back.raw" "$T/now.raw" || bad "vmon reads the active layer over a snapshot"
"$VMON" img check "$T/s.qcow2" >/dev/null || bad "vmon check of qemu snapshot image"
"$VMON" img snapshot -c two "$T/s.qcow2" || bad "vmon snapshot -c"
"$VMON" img snapshot -a one "$T/s.qcow2" || bad "vmon snapshot -a"
ok_check "$T/s.qcow2" "after vmon applied qemu's snapshot"
same "$T/ref.raw" "$T/s.qcow2" "qemu's snapshot applied by vmon"
qemu-img snapshot -a two "$T/s.qcow2" || bad "qemu applies vmon's snapshot"
same "$T/now.raw" "$T/s.qcow2" "vmon's snapshot applied by qemu"
"$VMON" img snapshot -d one "$T/s.qcow2" && "$VMON" img snapshot -d two "$T/s.qcow2" || bad "vmon snapshot -d"
ok_check "$T/s.qcow2" "after vmon deleted the snapshots"
same "$T/now.raw" "$T/s.qcow2" "after deleting snapshots"

# 6. info --output=json agrees with qemu-img on the fields scripts read.
for f in "$T/chain/sub/top.qcow2" "$T/chain/mid.qcow2" "$T/chain/v2.qcow2" "$T/vz.qcow2" "$T/ref.raw"; do
    "$VMON" img info --output=json "$f" >"$T/v.json" || bad "vmon info $f"
    qemu-img info --output=json "$f" >"$T/q.json"
    python3 - "$T/v.json" "$T/q.json" <<'EOF' || bad "info json differs for $f"
import json, sys
v, q = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["virtual-size", "filename", "format", "actual-size", "cluster-size", "dirty-flag", "backing-filename",
        "full-backing-filename", "backing-filename-format"]
spec = ["compat", "refcount-bits", "compression-type", "lazy-refcounts", "extended-l2", "corrupt"]
bad = [k for k in keys if v.get(k) != q.get(k)]
vs, qs = (d.get("format-specific", {}).get("data", {}) for d in (v, q))
bad += ["format-specific." + k for k in spec if vs.get(k) != qs.get(k)]
if bad:
    print("differs:", bad, v, q)
    sys.exit(1)
EOF
done

# 7. Locking both ways (QEMU's OFD lock bytes): a running qemu-io keeps vmon from writing or reading
#    (unless -U) the image, and a running vmon writer keeps qemu-io and qemu-img off it.
qemu-img create -q -f qcow2 "$T/lk.qcow2" 4M
mkfifo "$T/qio.fifo"
qemu-io "$T/lk.qcow2" <"$T/qio.fifo" >/dev/null 2>&1 &
qio=$!
exec 7>"$T/qio.fifo"
for _ in $(seq 50); do grep -q ":$(stat -c %i "$T/lk.qcow2") " /proc/locks && break; sleep 0.1; done
"$VMON" img snapshot -c s "$T/lk.qcow2" 2>"$T/err" && bad "vmon wrote an image qemu-io has open"
grep -q 'Failed to get "write" lock' "$T/err" || bad "vmon's lock message: $(cat "$T/err")"
"$VMON" img info "$T/lk.qcow2" >/dev/null 2>&1 && bad "vmon read an image qemu-io writes, without -U"
"$VMON" img info -U "$T/lk.qcow2" >/dev/null || bad "vmon img info -U next to qemu-io"
exec 7>&-
wait $qio
"$BLKIO" writer "$T/lk.qcow2" "$T/lk.log" 5 &
vw=$!
for _ in $(seq 50); do grep -q ":$(stat -c %i "$T/lk.qcow2") " /proc/locks && break; sleep 0.1; done
qemu-io -c 'write 0 4k' "$T/lk.qcow2" >"$T/err" 2>&1 && bad "qemu-io wrote an image vmon has open"
grep -q 'Failed to get "write" lock' "$T/err" || bad "qemu-io's lock message: $(cat "$T/err")"
qemu-img info -U "$T/lk.qcow2" >/dev/null || bad "qemu-img info -U next to vmon"
kill $vw; wait $vw 2>/dev/null

[ $fail -eq 0 ] && echo "interop: all passed (${#configs[@]} configurations)"
[ $fail -eq 0 ]
