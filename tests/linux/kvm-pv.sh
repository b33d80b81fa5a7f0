#!/usr/bin/env bash
# KVM's paravirtual interface under the software CPU (-cpu max,kvm=on; issue 11): Debian's cloud
# kernel with 2 vCPUs finds the KVM signature, registers kvmclock through the new MSRs and takes it
# as its clock source, as it does under KVM; seeing a KVM it also enables x2APIC (Linux's
# x2apic_available), so its IPIs and timers go through the x2APIC MSRs (hw/apic-x2.c). Without
# kvm=on the same kernel finds no KVM and stays in xAPIC mode with the TSC as clock source.
# The software CPU's TSC is invariant (0x80000007), so Linux rates kvm-clock 299, below the TSC's
# 300 (kvmclock_init), and switches on to the TSC once it is calibrated, as it does under KVM with
# an invariant TSC: the kvm=on boot asks for clocksource=kvm-clock so that the guest's clocks (the
# date, the sleep) are read through the pvclock structure for the whole run.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
guest_cmd='cat /sys/devices/system/clocksource/clocksource0/current_clocksource
echo avail: $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource)
dmesg | grep -i -E "kvm-clock|x2apic|Hypervisor detected" | sed "s/^\[[^]]*\] //"
grep -c ^processor /proc/cpuinfo; sleep 0.2; date +%s'

run() {   # run CPU-OPTION [KERNEL-ARGS]
    boot "$log" --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 --cpu "$1" \
        --append "console=ttyS0 quiet ${2:-}vmon.cmd64=$(cmd64 "$guest_cmd")"
    expect_booted "$log"
}

run max,kvm=on "clocksource=kvm-clock "
expect_line "$log" 'Hypervisor detected: KVM' "kvm=on: Linux detects KVM"
expect_line "$log" 'kvm-clock: Using msrs 4b564d01 and 4b564d00' "kvm=on: kvmclock registered through the new MSRs"
expect_line "$log" '^kvm-clock[[:space:]]*$' "kvm=on: kvm-clock is the clock source"
expect_line "$log" '^avail: .*kvm-clock' "kvm=on: kvm-clock is registered"
expect_line "$log" 'x2apic enabled' "kvm=on: Linux enabled x2APIC mode"
expect_line "$log" '^2[[:space:]]*$' "kvm=on: both CPUs up (IPIs through the x2APIC ICR)"
# The wall clock from MSR_KVM_WALL_CLOCK_NEW: the guest's date is the host's, within a minute.
gdate=$(tr -d '\r' <"$log" | grep -a -E '^[0-9]{10}$' | tail -n1)
[ -n "$gdate" ] && [ $(( $(date +%s) - gdate )) -lt 60 ] && [ $(( gdate - $(date +%s) )) -lt 60 ] ||
    fail "kvm=on: guest date '$gdate' is not the host's ($(date +%s))"
ok "kvm=on: the guest's wall clock is the host's"

run max
grep -qa 'Hypervisor detected: KVM' "$log" && fail "without kvm=on the guest still sees KVM"
grep -qa '^kvm-clock[[:space:]]*$' "$log" && fail "without kvm=on the clock source is kvm-clock"
grep -qa '^avail: .*kvm-clock' "$log" && fail "without kvm=on kvm-clock is registered"
grep -qa 'x2apic enabled' "$log" && fail "without kvm=on Linux enabled x2APIC"
ok "without kvm=on: no KVM signature, no kvm-clock, xAPIC mode"
