#!/usr/bin/env bash
# Firmware boot of a real disk, vmon --accel soft vs qemu-system-x86_64 -accel tcg, side by side in
# one run (issue 15): the Debian 12 image of `make debian-disk` (SeaBIOS -> SYSLINUX -> Linux ->
# systemd), wall seconds from start to getty's login: on the serial port, and to the process's end
# after logging in, running a command, writing a file and `poweroff` (tests/firmware/serial-login.py),
# the VM's CPU seconds (user + system), and the ratio vmon/QEMU of the time to login: (< 1: vmon is
# faster). Each run boots a copy, 1 vCPU, 2 GiB. A second row boots the UEFI variant under OVMF.
# On a shared machine wall time also measures the neighbours: the load is printed.
set -u
. "$(dirname "$0")/../../benches/lib.sh"
DISK=$BUILD/debian-disk/disk.qcow2
DISK_EFI=$BUILD/debian-disk-efi/disk.qcow2
here=$(dirname "$0")
bench_header "Debian 12 disk, firmware boot to login: vmon --accel soft vs QEMU -accel tcg"
if [ ! -f "$DISK" ]; then
    echo "skip: $DISK missing (make debian-disk)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {   # NAME DISK CMD...: prints "login exit cpu" seconds, or "- - -"
    local name=$1 disk=$2
    shift 2
    cp "$disk" "$tmp/disk.qcow2"
    python3 "$here/serial-login.py" "$tmp/$name.log" 900 vmon "bench" -- "$@" \
        -drive file="$tmp/disk.qcow2",format=qcow2,if=virtio >"$tmp/$name.steps"
    local rc=$? login ex cpu
    login=$(sed -n 's/^time: login: //p' "$tmp/$name.steps")
    ex=$(sed -n 's/^time: exit: //p' "$tmp/$name.steps")
    cpu=$(sed -n 's/^time: cpu: //p' "$tmp/$name.steps")
    if [ $rc -ne 0 ] || [ -z "$login" ] || [ -z "$ex" ]; then
        echo "- - -"
    else
        echo "$login $ex $cpu"
    fi
}

# row LABEL DISK [FIRMWARE ARGS...]: one boot in each VMM, then the printed row.
row() {
    local label=$1 disk=$2
    shift 2
    read -r v_login v_exit v_cpu < <(run vmon "$disk" "$VMON" -m 2048 -accel tcg -nographic "$@")
    if command -v "$QEMU" >/dev/null; then
        read -r q_login q_exit q_cpu < <(run qemu "$disk" "$QEMU" -m 2048 -accel tcg -nographic -nic none "$@")
    else
        q_login=- q_exit=- q_cpu=-
    fi
    local ratio=-
    if [ "$v_exit" != - ] && [ "$q_exit" != - ]; then
        ratio=$(printf '%.2fx' "$(echo "$v_login / $q_login" | bc -l)")
    fi
    printf '  %-24s %-30s %-30s %s\n' "$label" "$v_login / $v_exit / $v_cpu s" "$q_login / $q_exit / $q_cpu s" "$ratio"
}

printf '  %-24s %-30s %-30s %s\n' "" "vmon soft: login / exit / CPU" "QEMU TCG: login / exit / CPU" "ratio (login)"
row "SeaBIOS, 1 cpu, 2 GiB" "$DISK"
# The UEFI variant (make debian-disk-efi: GPT, GRUB on an EFI system partition) under Debian's OVMF.
OVMF=/usr/share/ovmf/OVMF.fd
if [ -f "$DISK_EFI" ] && [ -f "$OVMF" ]; then
    row "OVMF, 1 cpu, 2 GiB" "$DISK_EFI" -bios "$OVMF"
else
    echo "  (OVMF row skipped: $DISK_EFI or $OVMF missing)"
fi
