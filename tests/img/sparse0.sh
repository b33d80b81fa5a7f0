#!/usr/bin/env bash
# convert -S 0 (issue 12): no sparse detection, every byte written, as qemu-img does (vmon died of
# SIGFPE). The outputs are compared with qemu-img's own: content, allocation and map flags.
. "$(dirname "$0")/lib.sh"
flags() { qemu-img map --output=json "$1" | python3 -c '
import json, sys
print(" ".join("%d+%d:%s%s" % (e["start"], e["length"], "d" if e["data"] else "-", "z" if e["zero"] else "-")
               for e in json.load(sys.stdin)))'; }

truncate -s 4M s.raw
qemu-io -f raw -c 'write -P 1 1M 64k' -c 'write -z 2M 64k' s.raw >/dev/null
qemu-img create -q -f qcow2 -o cluster_size=4096 s.qcow2 4M
qemu-io -c 'write -P 2 100k 8k' s.qcow2 >/dev/null
for src in s.raw s.qcow2; do
    for fmt in raw qcow2; do
        rm -f v.$fmt q.$fmt
        "$VMON" img convert -S 0 -O $fmt "$src" v.$fmt; rc=$?
        [ $rc -eq 0 ] || { bad "convert -S 0 $src -> $fmt: exit $rc"; continue; }
        qemu-img convert -S 0 -O $fmt "$src" q.$fmt
        qemu-img compare -q "$src" v.$fmt || bad "$src -> $fmt: content differs"
        [ "$(flags v.$fmt)" = "$(flags q.$fmt)" ] || bad "$src -> $fmt: map $(flags v.$fmt), qemu-img's $(flags q.$fmt)"
        [ $fmt = raw ] && { [ "$(du -k v.raw | cut -f1)" -ge 4096 ] || bad "$src -> raw is sparse: $(du -k v.raw)"; }
    done
done
"$VMON" img convert -S 0 -c -O qcow2 s.raw c.qcow2 && qemu-img compare -q s.raw c.qcow2 || bad "convert -S 0 -c"
"$VMON" img convert -S 1000 -O raw s.raw x.raw 2>/dev/null && bad "-S 1000 accepted (not a multiple of 512)"
[ $fail -eq 0 ] && echo "sparse0: all passed"
exit $fail
