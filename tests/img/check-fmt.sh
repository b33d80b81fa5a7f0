#!/usr/bin/env bash
# vmon img check for the foreign formats (issue 19) against qemu-img check on the same files: clean
# images and damaged copies give the same report lines, JSON and exit status (vdi, vmdk, vhdx).
. "$(dirname "$0")/lib.sh"
head -c 3000000 /dev/urandom >d.raw
truncate -s 5M d.raw
same() {      # file: vmon's check (human, JSON) and status as qemu-img's
    for o in "" --output=json; do
        diff <("$VMON" img check $o "$1" 2>&1 | sed 's/^vmon img:/qemu-img:/'; echo "exit ${PIPESTATUS[0]}") \
             <(qemu-img check $o "$1" 2>&1; echo "exit $?") >diff.txt ||
            { bad "check $o $1 differs from qemu-img's"; cat diff.txt; }
    done
}
poke() {      # file offset bytes(printf escapes)
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# vdi: block map entries past blocks_allocated, a block used twice, a wrong allocated count.
qemu-img convert -O vdi d.raw a.vdi
same a.vdi
map=$(od -An -tu4 -j$((0x154)) -N4 a.vdi | tr -d ' ')
cp a.vdi big.vdi; poke big.vdi $((map + 4)) '\x09\x00\x00\x00'; same big.vdi
cp a.vdi dup.vdi; poke dup.vdi $((map + 4)) '\x00\x00\x00\x00'; same dup.vdi
cp a.vdi cnt.vdi; poke cnt.vdi $((0x184)) '\x07\x00\x00\x00'; same cnt.vdi
"$VMON" img check big.vdi >/dev/null 2>&1; [ $? -eq 2 ] || bad "corrupt vdi: not exit 2"
# vmdk: monolithicSparse and streamOptimized as made; a grain table entry past the end of the file
# (reported, then "Check failed", exit 1, as QEMU).
qemu-img convert -O vmdk d.raw sp.vmdk
qemu-img convert -O vmdk -o subformat=streamOptimized d.raw st.vmdk
same sp.vmdk
same st.vmdk
gd=$(od -An -tu8 -j56 -N8 sp.vmdk | tr -d ' ')
gt=$(od -An -tu4 -j$((gd * 512)) -N4 sp.vmdk | tr -d ' ')
cp sp.vmdk eof.vmdk; poke eof.vmdk $((gt * 512 + 12)) '\xff\xff\x0f\x00'; same eof.vmdk
"$VMON" img check eof.vmdk 2>&1 | grep -q "ERROR: cluster offset for sector 384 points after EOF" || bad "eof.vmdk: no ERROR line"
# vhdx: a BAT entry (8 MiB blocks, the BAT at 2 MiB as qemu-img lays it out) past the end of the file,
# ending past it, and over the metadata region; an ordinary open refuses each with the same line.
qemu-img convert -O vhdx d.raw a.vhdx
same a.vhdx
bat=$((2 << 20))
cp a.vhdx eof.vhdx; poke eof.vhdx $bat '\x06\x00\x40\x06\x00\x00\x00\x00'; same eof.vhdx
cp a.vhdx end.vhdx; poke end.vhdx $bat '\x06\x00\xc0\x00\x00\x00\x00\x00'; same end.vhdx
cp a.vhdx ovl.vhdx; poke ovl.vhdx $bat '\x06\x00\x20\x00\x00\x00\x00\x00'; same ovl.vhdx
"$VMON" img check eof.vhdx >/dev/null 2>&1; [ $? -eq 2 ] || bad "corrupt vhdx: not exit 2"
"$VMON" img info ovl.vhdx 2>&1 | grep -q "overlaps with region 3145728-4194304" || bad "ovl.vhdx: open not refused with its line"
[ $fail -eq 0 ] && echo "check-fmt: all passed"
exit $fail
