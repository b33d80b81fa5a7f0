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

/* Lock order: a device's own lock is taken inside bus dispatch, never the reverse.
 * Ranges are registered before vCPUs start, so dispatch reads the table without a lock. */
struct bus {
    const char *name;              /* "pio" or "mmio", for messages */
    int nranges;
    struct bus_range ranges[BUS_MAX_RANGES];  /* sorted by base */
    _Atomic bool warned_unmapped;  /* an unmapped access is logged once */
};

void bus_init(struct bus *b, const char *name);
/* Returns 0, -EEXIST on overlap, -ENOSPC when full. */
int bus_map(struct bus *b, uint64_t base, uint64_t len, const struct io_ops *ops,
            void *dev, const char *name);
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);
/* Unmapped reads return all-ones, unmapped writes are dropped; returns false for unmapped. */
bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *val);
bool bus_write(struct bus *b, uint64_t addr, uint64_t val, unsigned size);

#endif
