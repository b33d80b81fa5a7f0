/* QEMU's isa-debug-exit: a port whose write ends vmon with a status the guest chooses. */
#ifndef VMON_HW_DEBUG_EXIT_H
#define VMON_HW_DEBUG_EXIT_H

#include <stdint.h>

#include "hw/link.h"
#include "mm/bus.h"

#define DEBUG_EXIT_BASE 0xf4
#define DEBUG_EXIT_SIZE 4

/* The status vmon exits with after the guest writes val: (val << 1) | 1, as the shell sees it
 * (8 bits). Odd by construction, so it is never mistaken for a clean 0. */
int debug_exit_status(uint64_t val);

/* dev is a struct stop_link: a write requests STOP_REQ_DEBUG_EXIT with debug_exit_status. */
extern const struct io_ops debug_exit_io_ops;

#endif
