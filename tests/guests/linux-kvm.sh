#!/usr/bin/env bash
# Debian's cloud kernel (the vmlinux fetch-guest.sh extracts, entered through its PVH note) with the
# busybox initramfs under KVM, --cpus 2: the marker line, the command from vmon.cmd, poweroff, exit 0.
# On a host whose KVM cannot run Linux to the end (one that emulates ring 0 stops at instructions
# like xrstor with an internal error) the run is reported skipped -- but only after Linux has read
# vmon's e820 map, ACPI tables and MADT the way the loader wrote them.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
K=build/guest                   # fetch-guest.sh's output, whatever $BUILD is (ASan builds too)
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$K/vmlinux" ] && [ -f "$K/initramfs.cpio.gz" ] || skip "$K/vmlinux missing (run scripts/fetch-guest.sh)"
(exec 3<>/dev/kvm) 2>/dev/null || skip "/dev/kvm not available"

out=$(timeout 300 "$VMON" run --accel kvm --mem 256M --cpus 2 --kernel "$K/vmlinux" \
      --initrd "$K/initramfs.cpio.gz" \
      --append 'console=ttyS0 earlyprintk=serial,ttyS0 vmon.cmd="grep -c ^processor /proc/cpuinfo"' \
      </dev/null 2>&1)
rc=$?
echo "$out" | grep -E 'e820|ACPI|smpboot|VMON|Kernel panic|internal error' | head -n 40
echo "(exit status $rc)"
need() { grep -Eq -- "$1" <<<"$out" || fail "no line matches: $1"; }
need 'BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable'
need 'BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable'
need 'ACPI: RSDP 0x00000000000E0000 000024 \(v02 VMON'
need 'ACPI: INT_SRC_OVR \(bus 0 bus_irq 0 global_irq 2'
need 'IOAPIC\[0\]: apic_id 2, version [0-9]+, address 0xfec00000, GSI 0-23'
need 'ACPI: PM-Timer IO Port: 0x608'
need 'smpboot: Allowing 2 CPUs'
if grep -q 'KVM internal error' <<<"$out" && ! grep -q VMON-GUEST-READY <<<"$out"; then
    skip "this host's KVM stopped Linux with an internal error ($(grep -m1 -o 'code at .*' <<<"$out")); e820, ACPI and MADT were read right"
fi
[ $rc -eq 124 ] && fail "timed out"
need 'VMON-GUEST-READY'
need '^2\s*$'
need 'VMON-CMD-EXIT=0'
[ $rc -eq 0 ] || fail "exit status $rc, want 0"
echo ok
