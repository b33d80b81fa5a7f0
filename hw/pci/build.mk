# hw/pci/: configuration space, BARs and INTx, MSI and MSI-X of a PCI function; the i440FX/PIIX3 host bridge.
VMON_SRCS += hw/pci/pci.c hw/pci/host.c hw/pci/msix.c hw/pci/msi.c hw/pci/piix4-pm.c
UNIT_TESTS += hw/pci/pci_test.c hw/pci/piix4-pm_test.c hw/pci/msix_test.c hw/pci/msix-route_test.c hw/pci/msi_test.c
