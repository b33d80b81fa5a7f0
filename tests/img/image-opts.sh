#!/usr/bin/env bash
# vmon img --image-opts (issue 19): every subcommand qemu-img takes it on (info, check, convert,
# compare, map, snapshot, measure, bench, resize, amend, bitmap, rebase, commit, dd; convert's
# --target-image-opts) takes "driver=FMT,file.filename=PATH" (or no driver: probed; driver=file,filename=
# for the bare file) and prints what qemu-img prints for the same option string, or changes the image
# as qemu-img would; the refusals exit 1 like qemu-img's.
. "$(dirname "$0")/lib.sh"
head -c 1000000 /dev/urandom >d
truncate -s 8M d.raw
dd if=d of=d.raw bs=64k seek=3 conv=notrunc status=none
qemu-img convert -O qcow2 d.raw a.qcow2
qemu-img convert -O vmdk d.raw a.vmdk
same() {      # a subcommand and its arguments: stdout and exit status as qemu-img's
    local v q rv rq
    v=$("$VMON" img "$@" 2>/dev/null); rv=$?
    q=$(qemu-img "$@" 2>/dev/null); rq=$?
    [ $rv -eq $rq ] || bad "$*: exit $rv, qemu-img $rq"
    [ "$v" = "$q" ] || { bad "$*: output differs"; diff <(echo "$v") <(echo "$q") | head -10; }
}
for o in driver=qcow2,file.filename=a.qcow2 file.filename=a.qcow2 driver=qcow2,file.driver=file,file.filename=a.qcow2 \
         driver=vmdk,file.filename=a.vmdk; do
    same info --image-opts $o
    same info --output=json --image-opts $o
    same map --output=json --image-opts $o
    same compare --image-opts $o driver=raw,file.filename=d.raw
done
same check --image-opts driver=qcow2,file.filename=a.qcow2
same check --output=json --image-opts driver=qcow2,file.filename=a.qcow2
"$VMON" img convert --image-opts -O qcow2 driver=vmdk,file.filename=a.vmdk o.qcow2 || bad "convert --image-opts"
qemu-img compare -q d.raw o.qcow2 || bad "convert --image-opts: content"
"$VMON" img convert -m 4 --image-opts -O raw driver=qcow2,file.filename=a.qcow2 file.filename=a.vmdk o.raw &&
    cmp -s o.raw <(cat d.raw d.raw) || bad "convert --image-opts, two sources"
# A raw read of a qcow2 file: its bytes, as qemu-img's driver=raw.
same compare --image-opts driver=raw,file.filename=a.qcow2 driver=raw,file.filename=a.qcow2
"$VMON" img compare --image-opts driver=raw,file.filename=a.qcow2 driver=qcow2,file.filename=a.qcow2 >/dev/null &&
    bad "driver=raw read the qcow2 format"
# The subcommands that change an image: the result read back by qemu-img.
Q=driver=qcow2,file.filename=w.qcow2
qemu-img convert -O qcow2 d.raw w.qcow2
same snapshot -l --image-opts $Q
same measure -O qcow2 --image-opts $Q
"$VMON" img bench -c 10 --image-opts $Q >/dev/null || bad "bench --image-opts"
"$VMON" img snapshot -c s1 --image-opts $Q && qemu-img snapshot -l w.qcow2 | grep -q " s1 " || bad "snapshot -c --image-opts"
same snapshot -l --image-opts $Q
"$VMON" img resize --image-opts $Q +1M >/dev/null && qemu-img info w.qcow2 | grep -q "(9437184 bytes)" ||
    bad "resize --image-opts"
"$VMON" img amend -o lazy_refcounts=on --image-opts $Q && qemu-img info w.qcow2 | grep -q "lazy refcounts: true" ||
    bad "amend --image-opts"
"$VMON" img bitmap --add --image-opts $Q b0 && qemu-img info w.qcow2 | grep -q "name: b0" || bad "bitmap --image-opts"
"$VMON" img dd --image-opts -O raw if=$Q of=dd.raw && qemu-img compare -q w.qcow2 dd.raw || bad "dd --image-opts"
qemu-img create -q -f qcow2 -b a.qcow2 -F qcow2 top.qcow2
"$VMON" img rebase -u -b d.raw -F raw --image-opts driver=qcow2,file.filename=top.qcow2 &&
    qemu-img info top.qcow2 | grep -q "backing file: d.raw" || bad "rebase --image-opts"
dd if=/dev/urandom of=top.raw bs=64k count=1 status=none
qemu-img convert -q -n -f raw -O qcow2 top.raw top.qcow2
"$VMON" img commit --image-opts driver=qcow2,file.filename=top.qcow2 >/dev/null &&
    cmp -s -n 65536 top.raw d.raw || bad "commit --image-opts"
qemu-img create -q -f qcow2 t.qcow2 8M
"$VMON" img convert --target-image-opts -n a.vmdk driver=qcow2,file.filename=t.qcow2 &&
    qemu-img compare -q a.qcow2 t.qcow2 || bad "convert --target-image-opts"
refuse() {    # expected message, then the arguments
    local want=$1; shift
    "$VMON" img "$@" >/dev/null 2>e.txt; local rc=$?
    [ $rc -eq 1 ] && grep -q "$want" e.txt || bad "$*: rc $rc, $(cat e.txt)"
}
refuse "Block format 'qcow2' does not support the option 'foo'" info --image-opts driver=qcow2,file.filename=a.qcow2,foo=1
refuse "mutually exclusive" info -f qcow2 --image-opts driver=qcow2,file.filename=a.qcow2
refuse "Cannot find device='a.qcow2' nor node-name='a.qcow2'" info --image-opts a.qcow2
refuse "No such file" check --image-opts driver=qcow2,file.filename=nope.qcow2
refuse "Could not open 'driver=raw,file.filename=nope'" map --image-opts driver=raw,file.filename=nope
refuse "requires use of -n flag" convert --target-image-opts a.vmdk driver=qcow2,file.filename=t.qcow2
refuse "mutually exclusive" convert --target-image-opts -n -O qcow2 a.vmdk driver=qcow2,file.filename=t.qcow2
refuse "mutually exclusive" resize -f qcow2 --image-opts $Q +1M
refuse "Could not open 'driver=qcow2,file.filename=nope'" snapshot -l --image-opts driver=qcow2,file.filename=nope
[ $fail -eq 0 ] && echo "image-opts: all passed"
exit $fail
