/* The second tier of decode-time specialization (op-fast2.c). */
#ifndef VMON_ACCEL_SOFT_OP_FAST2_H
#define VMON_ACCEL_SOFT_OP_FAST2_H

#include "accel/soft/cpu.h"

/* Pick a specialized handler for i (decoded in code of code_size), or leave i->fn alone. Called
 * first by decode_specialize, whose own choices (disjoint opcodes) come after. */
void decode_specialize2(struct insn *i, unsigned code_size);

#endif
