#!/usr/bin/env bash
# qcow2 persistent dirty bitmaps (issue 12): check counts the clusters they own (was: leaks, exit 3),
# info lists them as qemu-img does (human and JSON), convert --bitmaps copies them bit for bit, and
# a vmon write marks the enabled ones in use (inconsistent) instead of leaving them stale or leaked.
. "$(dirname "$0")/lib.sh"

qemu-img create -q -f qcow2 b.qcow2 64M
qemu-img bitmap --add b.qcow2 b0
qemu-img bitmap --add -g 128k b.qcow2 b1
qemu-io -c 'write -P 1 0 64k' -c 'write -P 2 5M 1M' -c 'write -P 3 40M 64k' b.qcow2 >/dev/null
qemu-img bitmap --disable b.qcow2 b1
qemu-io -c 'write -P 4 20M 64k' b.qcow2 >/dev/null

"$VMON" img check b.qcow2 >out.txt; rc=$?
[ $rc -eq 0 ] || { bad "check of a bitmap image: exit $rc"; cat out.txt; }
diff <("$VMON" img info b.qcow2) <(qemu-img info b.qcow2) >d.txt || { bad "info differs from qemu-img's"; cat d.txt; }
diff <("$VMON" img info --output=json b.qcow2) <(qemu-img info --output=json b.qcow2) >d.txt ||
    { bad "info --output=json differs from qemu-img's"; cat d.txt; }
grep -q '"granularity": 131072' <("$VMON" img info --output=json b.qcow2) || bad "JSON lacks b1"

for o in "" "-o cluster_size=4096" "-o cluster_size=2M"; do
    rm -f v.qcow2
    "$VMON" img convert --bitmaps -O qcow2 $o b.qcow2 v.qcow2 || { bad "convert --bitmaps $o"; continue; }
    qemu-img check -q v.qcow2 || bad "convert --bitmaps $o: qemu-img check"
    qemu-img compare -q b.qcow2 v.qcow2 || bad "convert --bitmaps $o: data"
    [ "$(bits v.qcow2)" = "$(bits b.qcow2)" ] || bad "convert --bitmaps $o: bitmaps $(bits v.qcow2) vs $(bits b.qcow2)"
    qemu-img bitmap --merge b0 v.qcow2 b1 2>/dev/null || bad "qemu-img cannot use the copied bitmaps ($o)"
done
"$VMON" img convert -O qcow2 b.qcow2 nob.qcow2 && [ -z "$(bits nob.qcow2)" ] || bad "convert without --bitmaps copied them"
"$VMON" img convert --bitmaps -O raw b.qcow2 x.raw 2>/dev/null && bad "convert --bitmaps -O raw accepted"

# Changes that keep guest data keep the bitmaps valid; data writes mark the enabled one in use.
cp b.qcow2 w.qcow2
"$VMON" img snapshot -c s1 w.qcow2 && "$VMON" img check -r all w.qcow2 >/dev/null || bad "snapshot -c / check -r"
[ "$(bits w.qcow2)" = "$(bits b.qcow2)" ] || bad "snapshot -c or check -r changed the bitmaps"
"$VMON" img convert -n -O qcow2 nob.qcow2 w.qcow2 || bad "convert -n into a bitmap image"
qemu-img check -q w.qcow2 || bad "qemu-img check after a vmon write"
qemu-img info --output=json w.qcow2 | python3 -c '
import json, sys
b = {x["name"]: x["flags"] for x in json.load(sys.stdin)["format-specific"]["data"]["bitmaps"]}
sys.exit(0 if b == {"b0": ["in-use", "auto"], "b1": []} else 1)' || bad "after a write: $(qemu-img info w.qcow2 | grep -A12 bitmaps:)"
"$VMON" img check w.qcow2 >/dev/null || bad "vmon check after a vmon write"
[ $fail -eq 0 ] && echo "bitmaps: all passed"
exit $fail
