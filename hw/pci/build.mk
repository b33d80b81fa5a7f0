# hw/pci/: configuration space, BARs and INTx and MSI-X of a PCI function; the i440FX/PIIX3 host bridge.
VMON_SRCS += hw/pci/pci.c hw/pci/host.c hw/pci/msix.c
UNIT_TESTS += hw/pci/pci_test.c hw/pci/msix_test.c
