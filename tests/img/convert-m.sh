#!/usr/bin/env bash
# vmon img convert -m N / -W (issue 19): parallel workers give the same bytes as qemu-img for raw,
# qcow2, vmdk (sparse, stream) and several sources; without -W a qcow2 target's clusters are
# allocated in guest order (host offsets ascend, as qemu-img's) and a vmdk stream target (which takes
# its grains only in order) is written even with -W; a read error stops every worker with one line.
. "$(dirname "$0")/lib.sh"
head -c 3000000 /dev/urandom >r
truncate -s 24M src.raw
for m in 0 5 11 17; do dd if=r of=src.raw bs=1M seek=$m conv=notrunc status=none; done
dd if=/dev/zero of=src.raw bs=1M seek=8 count=2 conv=notrunc status=none
qemu-img convert -O qcow2 src.raw src.qcow2
qemu-img convert -O vmdk -o subformat=monolithicSparse src.raw sparse.vmdk
qemu-img convert -O vmdk -o subformat=streamOptimized src.raw stream.vmdk
for m in 1 3 8 16; do
    for w in "" -W; do
        for src in src.raw src.qcow2 sparse.vmdk stream.vmdk; do
            rm -f o.qcow2 o.raw
            "$VMON" img convert -m $m $w -O qcow2 $src o.qcow2 || bad "-m $m $w $src -> qcow2"
            qemu-img check -q o.qcow2 || bad "-m $m $w $src -> qcow2: check"
            qemu-img compare -q src.raw o.qcow2 || bad "-m $m $w $src -> qcow2 differs"
            "$VMON" img convert -m $m $w -O raw $src o.raw && cmp -s src.raw o.raw || bad "-m $m $w $src -> raw"
        done
        # Without -W the data clusters land in guest order: host offsets ascend along the map.
        if [ -z "$w" ]; then
            "$VMON" img convert -m $m -O qcow2 src.raw o.qcow2
            qemu-img map --output=json o.qcow2 | tr '{' '\n' | sed -n 's/.*"offset": \([0-9]*\).*/\1/p' |
                sort -c -n 2>/dev/null || bad "-m $m: clusters not allocated in order"
        fi
        rm -f o.vmdk
        "$VMON" img convert -m $m $w -O vmdk -o subformat=streamOptimized src.raw o.vmdk || bad "-m $m $w -> stream vmdk"
        qemu-img compare -q src.raw o.vmdk || bad "-m $m $w -> stream vmdk differs"
    done
done
"$VMON" img convert -m 8 -c -W -O qcow2 src.raw c.qcow2 && qemu-img compare -q src.raw c.qcow2 || bad "-c -W"
cat src.raw src.qcow2 >/dev/null
"$VMON" img convert -m 4 -W -O qcow2 src.raw r src.raw multi.qcow2 || bad "several sources"
cat src.raw r src.raw >multi.raw
qemu-img compare -q multi.raw multi.qcow2 || bad "several sources differ"
for m in 0 17 x; do
    "$VMON" img convert -m $m src.raw x.raw 2>err.txt && bad "-m $m accepted"
    grep -q "Allowed number of coroutines is between 1 and 16" err.txt || bad "-m $m: $(cat err.txt)"
done
# L1 entry 0 of a copy points past the end of the file: one error line, exit 1, whatever -m.
cp src.qcow2 bad.qcow2
l1=$(od -An -tx1 -j40 -N8 bad.qcow2 | tr -d ' \n')
printf '\x80\x00\x00\x7f\xff\xff\x00\x00' | dd of=bad.qcow2 bs=1 seek=$((16#$l1)) conv=notrunc status=none
for m in 1 8; do
    timeout 60 "$VMON" img convert -m $m -W -O raw bad.qcow2 o.raw 2>err.txt; rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "error while reading at byte 0" err.txt ||
        bad "-m $m corrupt source: rc $rc, $(cat err.txt)"
done
[ $fail -eq 0 ] && echo "convert-m: all passed"
exit $fail
