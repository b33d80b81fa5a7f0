#!/usr/bin/env bash
# Foreign formats (issue 19) against Debian's qemu-img: every vmdk/vpc/vdi/vhdx subformat qemu-img makes
# reads back identically through vmon (compare, raw conversions byte for byte, as a backing file);
# vmon's streamOptimized vmdk and fixed/dynamic vpc are accepted by qemu-img (check, compare, info);
# corrupt files are refused in one line with exit 1.
. "$(dirname "$0")/lib.sh"

# 40 MiB with data, explicit zeros, holes, an odd-sized tail of data inside a grain.
python3 - <<'PY'
import os, random
random.seed(19)
with open("src.raw", "wb") as f:
    f.truncate(40 << 20)
    for off, n in [(0, 70000), (1 << 20, 3 << 20), (7 << 20, 4096), ((9 << 20) + 777, 1000),
                   (17 << 20, 2 << 20), ((32 << 20) - 512, 1024), ((40 << 20) - 4096, 4096)]:
        f.seek(off); f.write(os.urandom(n))
    f.seek(20 << 20); f.write(bytes(1 << 20))           # allocated zeros
PY
vsize() {   # tool image: the virtual size in bytes
    local t=$1; shift
    if [ "$t" = qemu-img ]; then qemu-img info --output=json "$@"; else "$t" img info --output=json "$@"; fi | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])'
}

made=(
  "vmdk subformat=monolithicSparse" "vmdk subformat=monolithicFlat" "vmdk subformat=twoGbMaxExtentSparse"
  "vmdk subformat=twoGbMaxExtentFlat" "vmdk subformat=streamOptimized" "vmdk subformat=monolithicSparse,zeroed_grain=on"
  "vpc subformat=dynamic" "vpc subformat=fixed" "vpc subformat=dynamic,force_size=on"
  "vdi static=off" "vdi static=on"
  "vhdx subformat=dynamic" "vhdx subformat=fixed" "vhdx subformat=dynamic,block_size=1M,log_size=1M"
)
i=0
for m in "${made[@]}"; do
    fmt=${m%% *}; opts=${m#* }; i=$((i + 1)); img=q$i.$fmt
    qemu-img convert -q -O "$fmt" -o "$opts" src.raw "$img" || { bad "qemu-img convert -O $fmt -o $opts"; continue; }
    what="$fmt $opts"
    "$VMON" img info -f "$fmt" "$img" >info.txt 2>err.txt || { bad "info ($what): $(cat err.txt)"; continue; }
    grep -q "^file format: $fmt$" info.txt || bad "info ($what) names $(grep 'file format' info.txt)"
    if [ "$fmt" = vmdk ]; then    # cid, parent cid, create type, extents and disk size as qemu-img prints them
        for o in human json; do
            diff <("$VMON" img info --output=$o "$img") <(qemu-img info --output=$o "$img") >diff.txt ||
                { bad "info --output=$o ($what) differs from qemu-img's"; head -20 diff.txt; }
        done
    fi
    [ "$(vsize "$VMON" -f "$fmt" "$img")" = "$(vsize qemu-img -f "$fmt" "$img")" ] || bad "virtual size ($what)"
    "$VMON" img compare -q -F "$fmt" src.raw "$img" || bad "vmon img compare ($what)"
    "$VMON" img convert -f "$fmt" -O raw "$img" v.raw 2>err.txt || bad "vmon convert -O raw ($what): $(cat err.txt)"
    qemu-img convert -f "$fmt" -O raw "$img" q.raw
    cmp -s v.raw q.raw || bad "raw conversions differ ($what)"
    "$VMON" img convert -f "$fmt" -O qcow2 "$img" v.qcow2 && qemu-img compare -q src.raw v.qcow2 || bad "to qcow2 ($what)"
    "$VMON" img map -f "$fmt" --output=json "$img" >/dev/null 2>err.txt || bad "map ($what): $(cat err.txt)"
    # As a read-only backing file under a qcow2 overlay.
    "$VMON" img create -q -f qcow2 -b "$img" -F "$fmt" top.qcow2 && "$VMON" img compare -q top.qcow2 q.raw ||
        bad "as a backing file ($what)"
    rm -f v.raw q.raw v.qcow2 top.qcow2
done

# vmon writes streamOptimized vmdk: qemu-img checks it, reads it identically, names the subformat.
"$VMON" img convert -O vmdk -o subformat=streamOptimized src.raw w.vmdk || bad "vmon convert -O vmdk"
qemu-img check -q w.vmdk || bad "qemu-img check w.vmdk"
qemu-img compare -q src.raw w.vmdk || bad "qemu-img compare w.vmdk"
qemu-img info w.vmdk | grep -q "create type: streamOptimized" || bad "qemu-img info w.vmdk: $(qemu-img info w.vmdk)"
diff <("$VMON" img info w.vmdk) <(qemu-img info w.vmdk) || bad "vmon and qemu-img info of w.vmdk differ"
"$VMON" img compare -q src.raw w.vmdk || bad "vmon compare w.vmdk"
"$VMON" img create -q -f vmdk -o subformat=streamOptimized e.vmdk 3G || bad "vmon create stream"
qemu-img check -q e.vmdk && [ "$(vsize qemu-img e.vmdk)" = $((3 << 30)) ] || bad "empty stream for qemu-img"
"$VMON" img convert -O vmdk src.raw n.vmdk 2>err.txt && bad "vmdk without subformat written"
[ "$(wc -l <err.txt)" -eq 1 ] || bad "vmdk without subformat: $(cat err.txt)"

# vmon writes VHD: fixed and dynamic, CHS-rounded or force_size (Azure wants fixed, 1 MiB aligned).
for o in subformat=fixed,force_size=on subformat=dynamic,force_size=on subformat=dynamic subformat=fixed; do
    "$VMON" img convert -O vpc -o "$o" src.raw w.vhd || { bad "vmon convert -O vpc -o $o"; continue; }
    qemu-img info -f vpc w.vhd | grep -q "^file format: vpc" || bad "qemu-img info w.vhd ($o)"
    qemu-img compare -q -F vpc src.raw w.vhd || bad "qemu-img compare w.vhd ($o)"
    qemu-img convert -f vpc -O raw w.vhd q.raw && cmp -s -n $((40 << 20)) q.raw src.raw || bad "qemu-img raw of w.vhd ($o)"
    case $o in *force_size=on) [ "$(vsize qemu-img -f vpc w.vhd)" = $((40 << 20)) ] || bad "force_size ($o)";; esac
    case $o in *fixed*) [ $(stat -c %s w.vhd) = $(( $(vsize qemu-img -f vpc w.vhd) + 512 )) ] || bad "fixed layout ($o)";; esac
    rm -f w.vhd q.raw
done
"$VMON" img create -q -f vpc -o subformat=dynamic e.vhd 1G && qemu-img compare -q e.vhd e.vhd || bad "empty vhd"

# Corrupt files: one line, exit 1, never a crash.
refuse() {   # file what
    "$VMON" img info "$1" >/dev/null 2>err.txt; rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] || bad "corrupt $2: exit $rc: $(head -3 err.txt)"
}
poke() { python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])); f.write(bytes.fromhex(sys.argv[3]))" "$@"; }
cp q7.vpc c1.vpc; poke c1.vpc 1552 7fffffff; poke c1.vpc $(( $(stat -c %s c1.vpc) - 512 + 16 )) 7fffffffffffffff
refuse c1.vpc "vpc BAT offset"
cp q10.vdi c2.vdi; poke c2.vdi $((0x154)) 00fffff0; refuse c2.vdi "vdi block map offset"
cp q12.vhdx c3.vhdx; poke c3.vhdx 65540 00000000; poke c3.vhdx 131076 00000000; refuse c3.vhdx "vhdx headers"
cp q1.vmdk c4.vmdk; poke c4.vmdk 56 ffffff7f00000000; refuse c4.vmdk "vmdk grain directory"
cp w.vmdk c5.vmdk; truncate -s -512 c5.vmdk; refuse c5.vmdk "vmdk stream footer"
sed 's/q2-flat.vmdk/missing.vmdk/' q2.vmdk >c6.vmdk; refuse c6.vmdk "vmdk missing extent"
cp q5.vmdk c7.vmdk; poke c7.vmdk 65548 deadbeefdeadbeef
"$VMON" img convert -O raw c7.vmdk c7.raw 2>err.txt; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] || bad "corrupt grain: exit $rc: $(head -3 err.txt)"
[ $fail -eq 0 ] && echo "formats: all passed"
exit $fail
