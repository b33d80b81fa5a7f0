#!/usr/bin/env bash
# Debian 12's cloud kernel finds vmon's PCI bus (issue 13): type 1 config access through
# 0xcf8/0xcfc, the ACPI root bridge PCI0 with its _CRS windows, and the i440FX host bridge and PIIX3
# ISA bridge in /sys/bus/pci/devices, as lspci would list them.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
cmd='for d in /sys/bus/pci/devices/*; do echo PCIDEV ${d##*/} $(cat $d/vendor $d/device $d/class); done
dmesg | grep -E "PCI|pci"'
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$cmd")"
expect_booted "$log"
expect_line "$log" '^PCIDEV 0000:00:00.0 0x8086 0x1237 0x060000' "i440FX host bridge at 00:00.0"
expect_line "$log" '^PCIDEV 0000:00:01.0 0x8086 0x7000 0x060100' "PIIX3 ISA bridge at 00:01.0"
expect_line "$log" 'PCI: Using configuration type 1 for base access' "type 1 config access"
expect_line "$log" 'ACPI: PCI Root Bridge \[PCI0\]' "the DSDT's PCI0 root bridge"
expect_line "$log" 'root bus resource \[mem 0xc0000000-0xfebfffff window\]' "the 32-bit PCI hole window"
grep -qa 'No config space access function' "$log" && fail "Linux found no config space access"
grep -q 'unmapped pio address 0xcf' "$log.err" && fail "config ports unmapped: $(cat "$log.err")"
ok "no unmapped config port accesses"
