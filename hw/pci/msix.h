/* MSI-X (PCI Local Bus 3.0, 6.8.2): the capability in config space (Message Control's enable and
 * function mask), the vector table and the pending bit array, both in a memory BAR the device
 * gives over to them. A device signals a vector with msix_notify; masked vectors set their pending
 * bit and fire when unmasked (6.8.2.9). Delivery goes through the function's msi_link: a route's
 * eventfd where the link offers routes (set when a vector first fires with a new message), else
 * its send. */
#ifndef VMON_HW_PCI_MSIX_H
#define VMON_HW_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/pci/pci.h"

#define PCI_CAP_ID_MSIX     0x11
#define MSIX_MAX_VECTORS    64
#define MSIX_ENTRY_SIZE     16
#define MSIX_BAR_SIZE       0x1000     /* table at 0, PBA at MSIX_PBA_OFFSET */
#define MSIX_PBA_OFFSET     0x800
#define MSIX_CTRL_ENABLE    0x8000
#define MSIX_CTRL_MASKALL   0x4000
#define MSIX_ENTRY_MASKED   0x1        /* Vector Control bit 0 */

/* A vector's route (msi_link's route_set): the message it was set for, and its eventfd. */
struct msix_route {
    int id, fd;                        /* -1: none */
    uint64_t addr;
    uint32_t data;
};

/* Threads: table accesses come from vCPUs, config writes under the host bridge's lock, and
 * msix_notify from any thread; lock guards table and PBA. Messages go out with no lock held. */
struct msix {
    pthread_mutex_t lock;
    struct pci_dev *d;
    uint8_t cap;                       /* the capability's offset in config space */
    unsigned nvec;
    uint8_t table[MSIX_MAX_VECTORS * MSIX_ENTRY_SIZE];
    uint64_t pba;                      /* bit n: vector n pending */
    struct msix_route route[MSIX_MAX_VECTORS];
    bool no_routes;                    /* the link refused one: msi_send from then on */
};

/* Adds the capability to d with nvec (1..MSIX_MAX_VECTORS) vectors, table and PBA in BAR bar
 * (MSIX_BAR_SIZE bytes, set here). Every vector starts masked, MSI-X disabled. 0 or -errno. */
int msix_init(struct msix *m, struct pci_dev *d, unsigned nvec, int bar);
void msix_destroy(struct msix *m);

/* Whether the guest enabled MSI-X (then INTx is off: 6.8.2). Any thread. */
bool msix_enabled(const struct msix *m);
/* Signal vector: sent now, or left pending while masked. Vectors out of range are dropped. */
void msix_notify(struct msix *m, unsigned vector);
/* Snapshots: the table and the PBA; msix_load: 0 or -EINVAL (another vector count, a bad length). */
struct vms_writer;
struct vms_reader;
void msix_save(struct msix *m, struct vms_writer *w);
int msix_load(struct msix *m, struct vms_reader *r);
/* After a config write to d (pci.c calls it): a function mask cleared fires what is pending. */
void msix_config_written(struct msix *m);

#endif
