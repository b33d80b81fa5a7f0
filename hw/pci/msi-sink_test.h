/* Test helper shared by the MSI and MSI-X unit tests: a sink standing where the interrupt
 * controller would be, counting the messages a function sends and holding its INTx level. */
#ifndef VMON_HW_PCI_MSI_SINK_TEST_H
#define VMON_HW_PCI_MSI_SINK_TEST_H

#include "hw/pci/pci.h"

struct msi_sink {
    int sent, level;
    uint64_t addr;   /* the last message */
    uint32_t data;
};

static void msi_sink_send(void *opaque, uint64_t addr, uint32_t data)
{
    struct msi_sink *s = opaque;
    s->sent++;
    s->addr = addr;
    s->data = data;
}

static void msi_sink_intx(void *opaque, int level)
{
    ((struct msi_sink *)opaque)->level = level;
}

/* Wires the function's INTx (as IRQ 11) and its messages to the sink. */
static inline void msi_sink_attach(struct msi_sink *s, struct pci_dev *d)
{
    pci_dev_set_intx(d, (struct irq_line){ .set = msi_sink_intx, .opaque = s }, 11);
    pci_dev_set_msi(d, (struct msi_link){ .send = msi_sink_send, .opaque = s });
}

#endif
