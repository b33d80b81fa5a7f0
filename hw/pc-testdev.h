/* QEMU's pc-testdev (hw/misc/pc-testdev.c): the ports and memory window x86 test kernels poke. */
#ifndef VMON_HW_PC_TESTDEV_H
#define VMON_HW_PC_TESTDEV_H

#include <stdint.h>

#include "hw/link.h"
#include "mm/bus.h"
#include "mm/memory.h"

#define TESTDEV_IOPORT 0xe0        /* 4 bytes: a scratch register, any access width */
#define TESTDEV_FLUSH 0xe4         /* 4 bytes: write a GPA, its page is unmapped and remapped */
#define TESTDEV_IOPORT_BYTE 0xe8   /* 4 bytes: the scratch register again, byte by byte */
#define TESTDEV_IRQ 0x2000         /* 24 ports: writing v to port 0x2000+n sets IRQ line n to !!v */
#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM 0xff000000ull
#define TESTDEV_IOMEM_LEN 0x10000

struct pc_testdev;

/* irq[n]: the line port TESTDEV_IRQ + n drives (the board gives ISA IRQ/GSI n); mem: the guest RAM
 * whose pages the flush port remaps. */
struct pc_testdev *pc_testdev_new(const struct irq_line irq[TESTDEV_IRQ_LINES], struct guest_mem *mem);
void pc_testdev_free(struct pc_testdev *t);
/* Map its ports on pio and its memory window on mmio; 0 or -errno. */
int pc_testdev_map(struct pc_testdev *t, struct bus *pio, struct bus *mmio);

#endif
