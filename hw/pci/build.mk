# hw/pci/: configuration space, BARs and INTx of a PCI function; the i440FX/PIIX3 host bridge.
VMON_SRCS += hw/pci/pci.c hw/pci/host.c
UNIT_TESTS += hw/pci/pci_test.c
