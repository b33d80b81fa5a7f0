#!/usr/bin/env bash
# Network boot under SeaBIOS (issue 15's option-ROM path; issue 14's user networking): the
# virtio-net-pci function shows iPXE's ROM (Debian's ipxe-qemu, QEMU's default efi-virtio.rom)
# through its expansion ROM BAR; SeaBIOS runs it, and with -boot n iPXE gets an address from
# slirp's DHCP, fetches bootfile= from slirp's TFTP server (tftp=DIR) and runs it as a PXE NBP:
# the boot sector of the other firmware tests, which writes its marker and ends the run (33).
#   - the QEMU command line, under --accel soft, and the same command in QEMU
#   - romfile= (empty): no ROM, no network boot; romfile=/missing: a one-line error, status 2
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
[ -f /usr/share/seabios/bios-256k.bin ] || { echo "skip: SeaBIOS missing (apt-get install seabios)"; exit 77; }
[ -e /usr/share/qemu/efi-virtio.rom ] || [ -e /usr/lib/ipxe/qemu/efi-virtio.rom ] ||
    { echo "skip: iPXE's ROM missing (apt-get install ipxe-qemu)"; exit 77; }
. "$here/lib.sh"
fw_bootsector "$here/bootsector.S"
mkdir -p "$tmp/tftp" && cp "$tmp/disk.img" "$tmp/tftp/boot.0" && truncate -s 512 "$tmp/tftp/boot.0"
net=(-netdev "user,id=n0,tftp=$tmp/tftp,bootfile=boot.0" -device virtio-net-pci,netdev=n0 -boot n)

timeout 300 "$VMON" -accel tcg -nographic "${net[@]}" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "soft: iPXE's banner (SeaBIOS ran the ROM)" grep -qa "iPXE (http://ipxe.org) 00:0" "$tmp/out"
check "soft: iPXE binds virtio-net" grep -qa "using virtio-net on" "$tmp/out"
check "soft: DHCP from slirp" grep -qa "net0: 10.0.2.15/255.255.255.0 gw 10.0.2.2" "$tmp/out"
check "soft: the NBP came by TFTP and ran: marker, status 33 (status $rc)" \
    bash -c "grep -qa 'boot.0 : 512 bytes' '$tmp/out' && grep -qa vmon-bootsector-ok '$tmp/out' && [ $rc -eq 33 ]"

timeout 60 "$VMON" -accel tcg -nographic -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
    -boot n </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 300); do grep -qa "No bootable device" "$tmp/out" && break; sleep 0.2; done
kill $pid 2>/dev/null; wait $pid 2>/dev/null
check "romfile= (empty): no ROM runs, no network boot" \
    bash -c "! grep -qa iPXE '$tmp/out' && grep -qa 'No bootable device' '$tmp/out'"

"$VMON" -accel tcg -nographic -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=/nonexistent.rom \
    </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "romfile=/nonexistent.rom: status 2, one line" \
    bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q nonexistent.rom '$tmp/err'"

if command -v qemu-system-x86_64 >/dev/null; then
    timeout 300 qemu-system-x86_64 -accel tcg -nographic "${net[@]}" -device isa-debug-exit,iobase=0xf4,iosize=4 \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "QEMU: the same command boots the same NBP (status $rc)" \
        bash -c "grep -qa vmon-bootsector-ok '$tmp/out' && [ $rc -eq 33 ]"
else
    echo "skip (QEMU cross-check): qemu-system-x86_64 not installed"
fi
exit $fail
