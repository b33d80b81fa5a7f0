#!/usr/bin/env bash
# virtio-blk-pci's interrupts under Debian 12's cloud kernel (issue 13): by default the driver
# enables MSI-X (one vector for configuration changes, one per queue: "PCI-MSI ... virtio0-req.0"
# in /proc/interrupts, delivered to the userspace LAPIC); with pci=nomsi it falls back to INTx
# through the IOAPIC and the ISR. Both do I/O that lands in the image. A second MSI-X boot has 2
# vCPUs (the request vector may target either LAPIC) and checks that Linux takes the MCFG's ECAM
# window (reserved in the e820 map) for extended config space.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/virtio-lib.sh"
need_guest cloud

log=$TMPD/msix
xfer msix "$log" if=virtio
expect_line "$log" '^IRQ .*PCI-MSI.*virtio0-config' "MSI-X: a configuration vector"
expect_line "$log" '^IRQ .*PCI-MSI.*virtio0-req\.0' "MSI-X: a vector for the request queue"
grep -a '^IRQ ' "$log" | grep -q 'IO-APIC' && fail "MSI-X: virtio also on an IOAPIC line"
[ "$(version1 "$log")" = 1 ] || fail "MSI-X: VERSION_1 not negotiated (modern transport)"
ok "the modern transport negotiated VERSION_1"

# 2 vCPUs; ECAM from Linux's own boot log (quiet keeps dmesg off the console, so ask for it).
log=$TMPD/smp
XFER_OPTS="--cpus 2" XFER_MORE='dmesg | grep -i mmconfig; grep -i mmconfig /proc/iomem' \
    xfer msix-2cpus "$log" if=virtio
expect_line "$log" '^IRQ .*PCI-MSI.*virtio0-req\.0' "2 vCPUs: MSI-X vector for the request queue"
expect_line "$log" 'PCI: MMCONFIG for domain 0000 \[bus 00-ff\] at \[mem 0xe0000000-0xefffffff\]' \
    "Linux reads the MCFG's ECAM window"
expect_line "$log" 'PCI: MMCONFIG at \[mem 0xe0000000-0xefffffff\] reserved' "the window is reserved (e820)"
expect_line "$log" 'e0000000-efffffff : PCI MMCONFIG 0000' "/proc/iomem holds PCI MMCONFIG"
grep -qa 'fail to add MMCONFIG\|MMCONFIG is disabled' "$log" && fail "Linux refused the ECAM window"
ok "no MMCONFIG refusal"

log=$TMPD/intx
xfer intx "$log" if=virtio pci=nomsi
expect_line "$log" '^IRQ .*IO-APIC.*fasteoi.*virtio0' "pci=nomsi: INTx, level-triggered through the IOAPIC"
grep -a '^IRQ ' "$log" | grep -q 'PCI-MSI' && fail "pci=nomsi: an MSI vector is listed"
ok "pci=nomsi: no MSI vectors"
