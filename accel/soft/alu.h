/* ALU helpers shared by the handler families. */
#ifndef VMON_ACCEL_SOFT_ALU_H
#define VMON_ACCEL_SOFT_ALU_H

#include "accel/soft/cpu.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* One of the eight ALU operations with lazy flags; cmp returns a unchanged. */
uint64_t alu_op(struct cpu *c, unsigned op, unsigned size, uint64_t a, uint64_t b);
uint64_t alu_incdec(struct cpu *c, unsigned size, uint64_t v, bool dec);
/* r/m = fn(r/m, arg), atomically when the instruction has a lock prefix and r/m is memory. */
void alu_rmw(struct cpu *c, const struct insn *i, unsigned size,
             uint64_t (*fn)(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op),
             uint64_t arg, unsigned op);

/* Flags of a result computed eagerly (shifts, bit ops): ZF, SF and PF of r. */
static inline uint64_t flags_szp(uint64_t r, unsigned size)
{
    r &= size_mask(size);
    return parity8(r) | (r ? 0 : F_ZF) | ((r & sign_bit(size)) ? F_SF : 0);
}

#endif
