#!/usr/bin/env bash
# vmon img bench -d N (issue 19): N requests in flight, as qemu-img's queue depth (default 64).
# Writes at depth 16 leave the same image as at depth 1 (qemu-img compare) and a clean qcow2
# (qemu-img check: no leaked or doubly used clusters); reads at the default depth complete on qcow2,
# vmdk and raw; the banner says the depth as qemu-img's does; bad depths and counts are refused.
. "$(dirname "$0")/lib.sh"
for d in 1 16; do
    "$VMON" img create -q -f qcow2 w$d.qcow2 48M
    out=$("$VMON" img bench -w -d $d -c 3000 -S 7919k -f qcow2 w$d.qcow2) || bad "bench -w -d $d failed"
    echo "$out" | grep -q "write requests, 4096 bytes each, $d in parallel" || bad "bench -d $d banner: $out"
    qemu-img check -q w$d.qcow2 || bad "bench -w -d $d: qemu-img check"
done
qemu-img compare -q w1.qcow2 w16.qcow2 || bad "writes at depth 16 differ from depth 1"
truncate -s 16M r.raw
"$VMON" img bench -w -d 8 -c 2000 -S 61k -f raw r.raw >/dev/null || bad "raw writes at depth 8"
qemu-img convert -O vmdk w16.qcow2 r.vmdk
for f in w16.qcow2:qcow2 r.vmdk:vmdk r.raw:raw; do
    out=$("$VMON" img bench -c 20000 -f "${f#*:}" "${f%:*}") || bad "reads of ${f%:*} at the default depth"
    echo "$out" | grep -q "20000 read requests, 4096 bytes each, 64 in parallel" || bad "default depth banner: $out"
    echo "$out" | grep -q "^Run completed in" || bad "no completion line for ${f%:*}"
done
for a in "-d 0" "-d x" "-c -1" "-c y"; do
    err=$("$VMON" img bench $a -f qcow2 w1.qcow2 2>&1 >/dev/null); rc=$?
    [ $rc -eq 1 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] || bad "bench $a: exit $rc, '$err'"
done
exit $fail
