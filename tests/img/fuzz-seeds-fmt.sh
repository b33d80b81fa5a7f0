#!/usr/bin/env bash
# Seed corpus for fuzz-vmdk/vhd/vdi/vhdx: small images of each subformat qemu-img makes, with data and
# zeros, and (vmdk, vpc) the ones vmon writes. Usage: fuzz-seeds-fmt.sh FORMAT DIR
set -eu
F=$1 D=$2
mkdir -p "$D"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 -c '
import os
with open("'"$T"'/src.raw", "wb") as f:
    f.truncate(1 << 20); f.seek(0); f.write(os.urandom(5000)); f.seek(600000); f.write(b"\x11" * 70000)'
case $F in
vmdk) opts="subformat=monolithicSparse subformat=streamOptimized subformat=monolithicSparse,zeroed_grain=on";;
vpc)  opts="subformat=dynamic subformat=fixed subformat=dynamic,force_size=on";;
vdi)  opts="static=off static=on";;
vhdx) opts="subformat=dynamic,block_size=1M,log_size=1M subformat=fixed,block_size=1M,log_size=1M";;
esac
i=0
for o in $opts; do
    i=$((i + 1))
    qemu-img convert -q -O "$F" -o "$o" "$T/src.raw" "$D/seed$i.$F"
done
[ "$F" = vmdk ] && qemu-img create -q -f vmdk -o subformat=monolithicFlat "$T/d.vmdk" 1M && cp "$T/d.vmdk" "$D/desc.vmdk"
exit 0
