/* Port-I/O and MMIO buses: devices register address windows, accelerators dispatch accesses. */
#ifndef VMON_MM_BUS_H
#define VMON_MM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* A device sees an offset into its own window; size is 1, 2, 4 or 8 bytes. */
struct io_ops {
    uint64_t (*read)(void *dev, uint64_t off, unsigned size);
    void (*write)(void *dev, uint64_t off, uint64_t val, unsigned size);
};

struct bus_range {
    uint64_t base, len;
    const struct io_ops *ops;
    void *dev;
    const char *name;
};

#define BUS_MAX_RANGES 64

/* Lock order: a device's own lock is taken inside bus dispatch, never the reverse. The table lock
 * is held only to look a range up or change the table, never across a device's callback, so a
 * device may map or unmap windows (a PCI BAR the guest moves) from inside its own callback. A
 * device whose window is unmapped may still see one access that was looked up before: devices
 * live as long as the VM. */
struct bus {
    const char *name;              /* "pio" or "mmio", for messages */
    pthread_rwlock_t lock;
    int nranges;
    struct bus_range ranges[BUS_MAX_RANGES];  /* sorted by base */
    _Atomic bool warned_unmapped;  /* an unmapped access is logged once */
};

void bus_init(struct bus *b, const char *name);
/* Returns 0, -EEXIST on overlap, -ENOSPC when full. */
int bus_map(struct bus *b, uint64_t base, uint64_t len, const struct io_ops *ops,
            void *dev, const char *name);
/* Removes the window that starts at base; -ENOENT when none does. */
int bus_unmap(struct bus *b, uint64_t base);
/* Copies the window holding addr into *out; false when none does. */
bool bus_find(struct bus *b, uint64_t addr, struct bus_range *out);
/* Unmapped reads return all-ones, unmapped writes are dropped; returns false for unmapped. */
bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *val);
bool bus_write(struct bus *b, uint64_t addr, uint64_t val, unsigned size);

#endif
