#!/usr/bin/env bash
# Boot-to-marker and boot-to-poweroff times of Debian's cloud kernel + the busybox initramfs
# (scripts/fetch-guest.sh) under vmon --accel soft and qemu-system-x86_64 -accel tcg, side by side
# in one run, with --cpus 1 and 2, as ratios (issue 4). Skipped when the guest material is missing.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
G=$BUILD/guest
if [ ! -f "$G/bzImage" ] || [ ! -f "$G/initramfs.cpio.gz" ]; then
    echo "linux-boot-bench: skip: $G/bzImage or initramfs.cpio.gz missing (run scripts/fetch-guest.sh)"
    exit 0
fi
APPEND='console=ttyS0 quiet vmon.cmd=true'
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# timed CMD...: prints "<seconds to marker> <seconds to exit>"
timed() {
    local t0 t1 tm
    t0=$(date +%s.%N)
    timeout 900 "$@" </dev/null 2>&1 | while IFS= read -r l; do
        case $l in *VMON-GUEST-READY*) date +%s.%N >"$tmp";; esac
    done
    t1=$(date +%s.%N)
    tm=$(cat "$tmp" 2>/dev/null)
    : >"$tmp"
    printf '%.1f %.1f\n' "$( [ -n "$tm" ] && echo "$tm - $t0" | bc || echo 0)" "$(echo "$t1 - $t0" | bc)"
}

echo "Linux boot bench ($(date -u +%Y-%m-%d), $(nproc) host CPUs, $(uname -r) host)"
printf '%-6s %14s %14s %14s %14s %10s %10s\n' cpus "vmon marker s" "vmon off s" "qemu marker s" \
    "qemu off s" "marker x" "off x"
for n in 1 2; do
    read -r vm vo < <(timed "$VMON" run --accel soft --cpus $n --mem 512M --kernel "$G/bzImage" \
        --initrd "$G/initramfs.cpio.gz" --append "$APPEND")
    if command -v qemu-system-x86_64 >/dev/null; then
        read -r qm qo < <(timed qemu-system-x86_64 -accel tcg -smp $n -m 512 -nographic -nodefaults \
            -serial stdio -no-reboot -kernel "$G/bzImage" -initrd "$G/initramfs.cpio.gz" -append "$APPEND")
    else
        qm=0; qo=0
    fi
    printf '%-6s %14s %14s %14s %14s %10s %10s\n' $n "$vm" "$vo" "${qm/#0/n\/a}" "${qo/#0/n\/a}" \
        "$([ "$qm" != 0 ] && echo "scale=2; $vm / $qm" | bc || echo n/a)" \
        "$([ "$qo" != 0 ] && echo "scale=2; $vo / $qo" | bc || echo n/a)"
done
