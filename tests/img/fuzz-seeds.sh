#!/usr/bin/env bash
# Seed corpus for fuzz-qcow2: small images qemu-img makes, with data, zeros, compression, snapshots.
set -eu
D=$1
mkdir -p "$D"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
i=0
for o in "cluster_size=512" "cluster_size=512,compat=0.10" "cluster_size=1024,refcount_bits=1" \
         "cluster_size=4096,refcount_bits=64" "cluster_size=16384,extended_l2=on" "cluster_size=4096,compression_type=zstd"; do
    i=$((i + 1))
    qemu-img create -q -f qcow2 -o "$o" "$T/a.qcow2" 1M
    qemu-io -c 'write -P 0x11 0 3k' -c 'write -z 8k 4k' -c 'write -P 7 100k 1k' "$T/a.qcow2" >/dev/null
    cp "$T/a.qcow2" "$D/seed$i.qcow2"
    qemu-img snapshot -c s1 "$T/a.qcow2" && cp "$T/a.qcow2" "$D/snap$i.qcow2"
    case $o in *extended_l2*) ;; *)
        qemu-img convert -c -O qcow2 -o "$o" "$T/a.qcow2" "$D/comp$i.qcow2";;
    esac
done
