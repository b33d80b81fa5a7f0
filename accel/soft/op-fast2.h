/* The second tier of decode-time specialization (op-fast2.c). */
#ifndef VMON_ACCEL_SOFT_OP_FAST2_H
#define VMON_ACCEL_SOFT_OP_FAST2_H

#include <stdbool.h>

#include "accel/soft/cpu.h"

/* Pick a specialized handler for i (decoded in code of code_size), or leave i->fn alone; true when
 * it picked one (decode_specialize, which calls it first, then keeps that choice). */
bool decode_specialize2(struct insn *i, unsigned code_size);

#endif
