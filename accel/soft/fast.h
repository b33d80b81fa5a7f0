/* Decode-time specialization, the handlers grouped by what they hold: fast-move.c (moves, loads,
 * stores, lea, push/pop, call/ret, jmp; decode_specialize, the entry), fast-int.c (shifts, imul,
 * movzx/movsx, test, not/neg, bt, narrow stores) and fast-alu-cc.c (the eight ALU ops split per
 * operation, jcc/cmov/setcc per condition). */
#ifndef VMON_ACCEL_SOFT_FAST_H
#define VMON_ACCEL_SOFT_FAST_H

#include <stdbool.h>

#include "accel/soft/cpu.h"

/* Pick a specialized handler for i (decoded in code of code_size), or leave i->fn alone; true when
 * it picked one (decode_specialize, which calls it first, then keeps that choice). */
bool fast_int_specialize(struct insn *i, unsigned code_size);
/* The per-operation ALU and per-condition jcc/cmov/setcc handlers (fast-alu-cc.c); true when
 * one was picked. */
bool fast_alu_cc_specialize(struct insn *i, unsigned code_size);

/* Gv,Ev forms (03, 0B, ..., 8B) with a register source: swap so rm is the destination, the shape
 * the Ev,Gv handlers (and the translator's forms) expect. */
static inline void rm_is_destination(struct insn *i)
{
    uint8_t t = i->reg;
    i->reg = i->rm;
    i->rm = t;
}

#endif
