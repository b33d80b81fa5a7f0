/* The second tier of decode-time specialization (op-fast2.c, op-fast2-cc.c). */
#ifndef VMON_ACCEL_SOFT_OP_FAST2_H
#define VMON_ACCEL_SOFT_OP_FAST2_H

#include <stdbool.h>

#include "accel/soft/cpu.h"

/* Pick a specialized handler for i (decoded in code of code_size), or leave i->fn alone; true when
 * it picked one (decode_specialize, which calls it first, then keeps that choice). */
bool decode_specialize2(struct insn *i, unsigned code_size);
/* The per-operation ALU and per-condition jcc/cmov/setcc handlers (op-fast2-cc.c); true when
 * one was picked. */
bool fast2_specialize_cc(struct insn *i, unsigned code_size);

/* Gv,Ev forms (03, 0B, ..., 8B) with a register source: swap so rm is the destination, the shape
 * the Ev,Gv handlers (and the translator's forms) expect. */
static inline void rm_is_destination(struct insn *i)
{
    uint8_t t = i->reg;
    i->reg = i->rm;
    i->rm = t;
}

#endif
