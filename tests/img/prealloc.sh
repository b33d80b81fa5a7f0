#!/usr/bin/env bash
# -o preallocation=off|metadata|falloc|full for raw and qcow2 (issue 19), checked by qemu-img (check, map)
# and by the host file's allocation; -o help lists the new formats' options; --version's first line.
. "$(dirname "$0")/lib.sh"
kib() { du -k "$1" | cut -f1; }
for p in off falloc full; do
    "$VMON" img create -q -f raw -o preallocation=$p r.img 32M || bad "raw $p"
    [ "$(stat -c %s r.img)" = $((32 << 20)) ] || bad "raw $p size"
    case $p in off) [ "$(kib r.img)" -lt 1024 ] || bad "raw off allocated $(kib r.img) KiB";;
               *) [ "$(kib r.img)" -ge $((32 * 1024)) ] || bad "raw $p allocated only $(kib r.img) KiB";; esac
    rm -f r.img
done
"$VMON" img create -q -f raw -o preallocation=metadata r.img 1M 2>err.txt && bad "raw metadata accepted"
for p in off metadata falloc full; do
    "$VMON" img create -q -f qcow2 -o preallocation=$p q.qcow2 32M || { bad "qcow2 $p"; continue; }
    qemu-img check -q q.qcow2 || bad "qemu-img check qcow2 $p"
    qemu-img compare -q q.qcow2 q.qcow2 && qemu-img map --output=json q.qcow2 >map.json || bad "qcow2 $p map"
    present=$(python3 -c 'import json; print(all(e["present"] for e in json.load(open("map.json"))))')
    case $p in off) [ "$present" = False ] || bad "qcow2 off allocates";;
               *) [ "$present" = True ] || bad "qcow2 $p leaves clusters unallocated";; esac
    case $p in off|metadata) [ "$(kib q.qcow2)" -lt 4096 ] || bad "qcow2 $p uses $(kib q.qcow2) KiB";;
               *) [ "$(kib q.qcow2)" -ge $((32 * 1024)) ] || bad "qcow2 $p uses only $(kib q.qcow2) KiB";; esac
    rm -f q.qcow2
done
"$VMON" img create -f vpc -o help | grep -q "^  subformat=" || bad "-o help for vpc"
"$VMON" img create -f vmdk -o help | grep -q "^  subformat=" || bad "-o help for vmdk"
"$VMON" img --version | head -1 | grep -Eq '^vmon img version 0\.[0-9]+\.[0-9]+ \(qemu-img 7\.2 compatible\)$' ||
    bad "--version: $("$VMON" img --version | head -1)"
[ $fail -eq 0 ] && echo "prealloc: all passed"
exit $fail
