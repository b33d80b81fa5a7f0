#!/usr/bin/env bash
# vmon img bitmap (issue 19): each action (--add [-g], --remove, --clear, --enable, --disable,
# --merge [-b]) leaves the same bitmaps, bit for bit, as qemu-img bitmap does on a copy of the same
# image; qemu-img check is clean after each; qemu-io then tracks writes in the bitmaps vmon made; the
# errors exit 1 with qemu-img's messages.
. "$(dirname "$0")/lib.sh"
qemu-img create -q -f qcow2 b.qcow2 64M
qemu-img bitmap --add b.qcow2 b0
qemu-img bitmap --add -g 128k b.qcow2 b1
qemu-io -c 'write -P 1 0 64k' -c 'write -P 2 5M 1M' -c 'write -P 3 40M 64k' b.qcow2 >/dev/null
qemu-img bitmap --disable b.qcow2 b1
qemu-io -c 'write -P 4 20M 64k' b.qcow2 >/dev/null
qemu-img create -q -f qcow2 other.qcow2 64M
qemu-img bitmap --add -g 512k other.qcow2 o1
qemu-io -c 'write 33M 4k' -c 'write 60M 1M' other.qcow2 >/dev/null
cp b.qcow2 v.qcow2
cp b.qcow2 q.qcow2
step() {      # the same bitmap arguments to both tools, then the same bits and clean checks
    "$VMON" img bitmap "$@" v.qcow2 "$NAME" || bad "vmon img bitmap $* $NAME"
    qemu-img bitmap "$@" q.qcow2 "$NAME" || bad "qemu-img bitmap $* $NAME"
    [ "$(bits v.qcow2)" = "$(bits q.qcow2)" ] || bad "after $* $NAME: $(bits v.qcow2) vs $(bits q.qcow2)"
    qemu-img check -q v.qcow2 || bad "qemu-img check after $* $NAME"
    "$VMON" img check -q v.qcow2 || bad "vmon check after $* $NAME"
    qemu-img compare -q v.qcow2 b.qcow2 || bad "guest data changed by $* $NAME"
}
NAME=n1 step --add
NAME=n2 step --add -g 512k
NAME=n3 step --add --disable
NAME=b0 step --merge b1
NAME=n2 step --merge b0
NAME=n1 step --merge o1 -b other.qcow2 -F qcow2
NAME=b0 step --clear
NAME=b1 step --enable
NAME=n3 step --enable --merge n1 --disable
NAME=b0 step --remove
NAME=n2 step --remove
diff <("$VMON" img info v.qcow2) <(qemu-img info v.qcow2) >d.txt || { bad "info differs"; cat d.txt; }
# qemu-io loads the enabled bitmaps vmon wrote and tracks its writes in them.
qemu-io -c 'write 50M 64k' v.qcow2 >/dev/null && qemu-io -c 'write 50M 64k' q.qcow2 >/dev/null
[ "$(bits v.qcow2)" = "$(bits q.qcow2)" ] || bad "after qemu-io writes: $(bits v.qcow2) vs $(bits q.qcow2)"
qemu-img check -q v.qcow2 || bad "qemu-img check after qemu-io"
# Every bitmap removed: the extension goes, qemu-img sees none.
for n in b1 n1 n3; do "$VMON" img bitmap --remove v.qcow2 $n || bad "remove $n"; done
[ -z "$(bits v.qcow2)" ] && ! qemu-img info v.qcow2 | grep -q bitmaps: || bad "bitmaps left: $(bits v.qcow2)"
qemu-img check -q v.qcow2 || bad "qemu-img check after removing all"
err() {       # expected message, then the arguments: exit 1 and the message
    local want=$1; shift
    "$VMON" img bitmap "$@" 2>e.txt; local rc=$?
    [ $rc -eq 1 ] && grep -q "$want" e.txt || bad "bitmap $*: rc $rc, $(cat e.txt)"
}
err "Bitmap already exists: b1" --add b.qcow2 b1
err "Dirty bitmap 'zz' not found" --remove b.qcow2 zz
err "Dirty bitmap 'zz' not found" --merge zz b.qcow2 b0
err "Granularity must be power of 2" --add -g 3000 b.qcow2 g
err "granularity only supported with --add" --clear -g 64k b.qcow2 b0
err "Need at least one of" b.qcow2 b0
qemu-img create -q -f raw r.raw 1M
err "Operation not supported" --add -f raw r.raw x
[ $fail -eq 0 ] && echo "bitmap-cmd: all passed"
exit $fail
