#!/usr/bin/env bash
# vmon img dd against qemu-img dd (issue 19): the same output bytes for bs/count/skip combinations,
# from raw and qcow2 inputs, into raw and qcow2 outputs; a skip past the end fails as qemu-img's does.
. "$(dirname "$0")/lib.sh"
head -c 5000000 /dev/urandom >in.raw
truncate -s 6M in.raw
qemu-img convert -O qcow2 in.raw in.qcow2
for src in in.raw in.qcow2; do
    for args in "" "bs=4k count=100" "bs=1k skip=7 count=300" "bs=1M skip=2" "bs=64k count=1000"; do
        rm -f a.raw b.raw
        "$VMON" img dd $args if=$src of=a.raw || bad "vmon img dd $args if=$src"
        qemu-img dd $args if=$src of=b.raw
        cmp -s a.raw b.raw || bad "dd $args if=$src: outputs differ"
    done
done
"$VMON" img dd -O qcow2 bs=64k skip=3 count=40 if=in.raw of=a.qcow2 && qemu-img check -q a.qcow2 || bad "dd -O qcow2"
qemu-img dd -O qcow2 bs=64k skip=3 count=40 if=in.raw of=b.qcow2
qemu-img compare -q a.qcow2 b.qcow2 || bad "dd -O qcow2 differs"
"$VMON" img dd bs=1M skip=7 if=in.raw of=c.raw 2>err.txt && bad "skip past the end succeeded"
grep -q "cannot skip to specified offset" err.txt || bad "skip past the end: $(cat err.txt)"
"$VMON" img dd if=in.raw 2>err.txt && bad "dd without of="
[ $fail -eq 0 ] && echo "dd: all passed"
exit $fail
