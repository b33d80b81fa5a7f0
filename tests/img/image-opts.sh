#!/usr/bin/env bash
# vmon img --image-opts (issue 19): info, check, convert, compare and map take
# "driver=FMT,file.filename=PATH" (or no driver: probed; driver=file,filename= for the bare file)
# and print what qemu-img prints for the same option string; the refusals exit 1 like qemu-img's.
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
    case $o in *vmdk*) ;; *)      # vmon's vmdk info lacks qemu-img's cid and extents lines
        same info --image-opts $o
        same info --output=json --image-opts $o ;;
    esac
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
[ $fail -eq 0 ] && echo "image-opts: all passed"
exit $fail
