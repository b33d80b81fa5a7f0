# Shared by the firmware tests that boot a sector of their own (seabios.sh, vga.sh, keyboard.sh):
# source it after setting BUILD/VMON; it makes $tmp (removed at exit), sets fail=0 and accels (soft,
# plus kvm where /dev/kvm opens), and gives check and fw_bootsector.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {   # description, condition (a command); on failure the run's output ($tmp/out, err)
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; sed 's/^/    /' "$tmp/out" "$tmp/err" | tail -20; fail=1; fi
}
# A boot sector from SOURCE (.S, linked at 0x7c00) as sector 0 of a 1 MiB raw disk at $tmp/disk.img.
fw_bootsector() {
    command -v as >/dev/null && command -v ld >/dev/null || { echo "skip: binutils (as, ld) missing"; exit 77; }
    as --32 -o "$tmp/bs.o" "$1" &&
        ld -m elf_i386 -Ttext=0x7c00 --oformat binary -o "$tmp/disk.img" "$tmp/bs.o" &&
        truncate -s 1M "$tmp/disk.img" || { echo "FAIL: building the boot sector"; exit 1; }
}
accels="soft"
if { exec 3<>/dev/kvm; } 2>/dev/null; then
    exec 3<&-
    accels="soft kvm"
else
    echo "skip (kvm part): /dev/kvm cannot be opened here"
fi
