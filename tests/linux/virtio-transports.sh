#!/usr/bin/env bash
# The other virtio transports under Debian 12's cloud kernel (issue 13), each doing I/O that lands
# in the image:
#   legacy  virtio_pci.force_legacy=1 (the initramfs passes it to insmod): the driver takes the
#           transitional device's I/O BAR 0 registers; VERSION_1 is not negotiated
#   mmio    --drive ...,if=virtio-mmio: the DSDT's LNRO0005 device, found by virtio_mmio, its
#           level-triggered line on IOAPIC GSI 16
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/virtio-lib.sh"
need_guest cloud

log=$TMPD/legacy
xfer legacy "$log" if=virtio virtio_pci.force_legacy=1
[ "$(version1 "$log")" = 0 ] || fail "legacy: VERSION_1 negotiated: $(grep -a '^FEATURES' "$log")"
ok "legacy: the driver did not negotiate VERSION_1"
expect_line "$log" '^IRQ .*PCI-MSI.*virtio0-req\.0' "legacy: MSI-X vectors through the legacy vector registers"

log=$TMPD/mmio
xfer mmio "$log" if=virtio-mmio
[ "$(version1 "$log")" = 1 ] || fail "mmio: VERSION_1 not negotiated"
expect_line "$log" '^IRQ .*IO-APIC *16-fasteoi *virtio0' "mmio: virtio0 on GSI 16, level-triggered"
