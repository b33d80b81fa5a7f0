/* QEMU's pc-testdev (hw/misc/pc-testdev.c): the ports and memory window x86 test kernels poke. */
#ifndef VMON_HW_PC_TESTDEV_H
#define VMON_HW_PC_TESTDEV_H

#include <stdint.h>

#include "mm/bus.h"

#define TESTDEV_IOPORT 0xe0        /* 4 bytes: a scratch register, any access width */
#define TESTDEV_FLUSH 0xe4         /* 4 bytes: write a GPA, its page is unmapped and remapped */
#define TESTDEV_IOPORT_BYTE 0xe8   /* 4 bytes: the scratch register again, byte by byte */
#define TESTDEV_IRQ 0x2000         /* 24 ports: writing v to port 0x2000+n sets IRQ line n to !!v */
#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM 0xff000000ull
#define TESTDEV_IOMEM_LEN 0x10000

struct vm;
struct pc_testdev;

struct pc_testdev *pc_testdev_new(struct vm *vm, void (*set_irq)(struct vm *, unsigned, int));
void pc_testdev_free(struct pc_testdev *t);
/* Map its windows on vm->pio and vm->mmio; 0 or -errno. */
int pc_testdev_map(struct pc_testdev *t);

#endif
