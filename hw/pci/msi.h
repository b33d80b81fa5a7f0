/* MSI (PCI Local Bus 3.0, 6.8.1): the capability with Message Control (enable, Multiple Message
 * Capable/Enable, 64-bit and per-vector masking capable), Message Address (and Upper Address),
 * Message Data, and where offered the Mask and Pending Bits. A function that wants it (a device's
 * choice at creation: msi_cap_init) signals vector n with msi_cap_notify: the message goes out
 * with n in the low bits of the data (6.8.1.6), or its pending bit is set while masked and it goes
 * out at unmask. Delivery goes through the function's msi_link. INTx is off while MSI is on. */
#ifndef VMON_HW_PCI_MSI_H
#define VMON_HW_PCI_MSI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/pci/pci.h"

#define PCI_CAP_ID_MSI      0x05
#define MSI_CTRL_ENABLE     0x0001
#define MSI_CTRL_64BIT      0x0080
#define MSI_CTRL_MASKABLE   0x0100
#define MSI_MAX_VECTORS     32

/* Threads: config writes under the host bridge's lock, msi_cap_notify from any thread; lock guards
 * the pending bits. */
struct msi_cap {
    pthread_mutex_t lock;
    struct pci_dev *d;
    uint8_t cap;                       /* the capability's offset in config space */
    bool is64, maskable;
    unsigned nvec;                     /* vectors the function asks for (a power of 2) */
};

/* Adds the capability to d: nvec vectors (1, 2, 4 ... 32), a 64-bit address where is64, mask and
 * pending bits where maskable. MSI starts disabled. 0 or -errno (-EINVAL, -ENOSPC). */
int msi_cap_init(struct msi_cap *m, struct pci_dev *d, unsigned nvec, bool is64, bool maskable);
void msi_cap_destroy(struct msi_cap *m);

bool msi_cap_enabled(const struct msi_cap *m);
/* Vectors the driver enabled (Multiple Message Enable, never above what was asked). */
unsigned msi_cap_vectors(const struct msi_cap *m);
/* Signal vector: sent now, left pending while masked, dropped when off or out of range. */
void msi_cap_notify(struct msi_cap *m, unsigned vector);
/* After a config write to d (pci.c calls it): cleared mask bits fire what is pending. */
void msi_cap_config_written(struct msi_cap *m);

#endif
