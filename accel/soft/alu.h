/* ALU helpers shared by the handler families. */
#ifndef VMON_ACCEL_SOFT_ALU_H
#define VMON_ACCEL_SOFT_ALU_H

#include "accel/soft/cpu.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* The lazy-flags kind each of the eight operations records (the translator stores the same). */
static inline unsigned alu_lf_kind(unsigned op)
{
    switch (op) {
    case ALU_ADD: case ALU_ADC: return LF_ADD;
    case ALU_SUB: case ALU_SBB: case ALU_CMP: return LF_SUB;
    default: return LF_LOGIC;
    }
}

/* The eight ALU operations, written once (SDM vol. 2, ADD..CMP): a OP b on operands already
 * masked to size bytes, the lazy flags recorded (adc/sbb: the carry in as cin); returns the
 * result masked to size (cmp: a, unchanged). Inline so that the per-operation handlers of
 * fast-alu-cc.c fold op and size to constants; alu_op is the interpreter's call of it. */
static inline uint64_t alu_compute(struct cpu *c, unsigned op, unsigned size, uint64_t a, uint64_t b)
{
    uint64_t r, cf = 0;
    if (op == ALU_ADC || op == ALU_SBB)
        cf = cpu_cf(c);
    switch (op) {
    case ALU_ADD: case ALU_ADC: r = a + b + cf; break;
    case ALU_SUB: case ALU_SBB: case ALU_CMP: r = a - b - cf; break;
    case ALU_OR:  r = a | b; break;
    case ALU_AND: r = a & b; break;
    default:      r = a ^ b; break;
    }
    lf_set(c, alu_lf_kind(op), size, r, a, b);
    if (op == ALU_ADC || op == ALU_SBB)
        c->lf.cin = (uint8_t)cf;
    return op == ALU_CMP ? a : r & size_mask(size);
}

/* One of the eight ALU operations with lazy flags (any operand bits above size are ignored). */
uint64_t alu_op(struct cpu *c, unsigned op, unsigned size, uint64_t a, uint64_t b);
/* Inline: the fast handlers for inc/dec call it with a constant size. */
static inline uint64_t alu_incdec(struct cpu *c, unsigned size, uint64_t v, bool dec)
{
    /* inc/dec leave CF alone: the lazy record carries the old CF in cin. */
    uint8_t cf = cpu_cf(c);
    v &= size_mask(size);
    uint64_t r = (dec ? v - 1 : v + 1) & size_mask(size);
    lf_set(c, dec ? LF_DEC : LF_INC, size, r, v, 1);
    c->lf.cin = cf;
    return r;
}
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

/* The flags of a rotate (rol/ror/rcl/rcr): CF and OF replaced, SF, ZF, AF and PF kept. Rather than
 * materializing the kept four, the lazy record of the operation before stays (its result gives
 * SZP) and only its AF is computed now; this is LF_ROT. */
static inline void flags_rotate(struct cpu *c, bool cf, bool of)
{
    struct lazy_flags *l = &c->lf;
    switch (l->op) {
    case LF_NONE:
        c->flags = (c->flags & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        return;
    case LF_ADD: case LF_SUB:
        l->cin = ((l->src1 ^ l->src2 ^ l->res) & F_AF) != 0;
        break;
    case LF_INC: case LF_DEC:
        l->cin = ((l->src1 ^ 1 ^ l->res) & F_AF) != 0;
        break;
    case LF_ROT:
        break;
    default:   /* LF_LOGIC, LF_SHIFT: AF = 0 */
        l->cin = 0;
        break;
    }
    l->op = LF_ROT;
    l->src1 = cf;
    l->src2 = of;
}

/* CF replaced, every other arithmetic flag kept (bt/bts/btr/btc, whose OF, SF, AF and PF the SDM
 * leaves undefined: these keep them, as the general path always did). OF is taken from the lazy
 * record cheaply, and the rest stays lazy as for a rotate. */
static inline void flags_set_cf(struct cpu *c, bool cf)
{
    const struct lazy_flags *l = &c->lf;
    uint64_t sb = sign_bit(l->size ? l->size : 8), a = l->src1, b = l->src2, r = l->res;
    bool of;
    switch (l->op) {
    case LF_NONE: c->flags = (c->flags & ~(uint64_t)F_CF) | (cf ? F_CF : 0); return;
    case LF_ADD: of = ((a ^ r) & (b ^ r) & sb) != 0; break;
    case LF_SUB: of = ((a ^ b) & (a ^ r) & sb) != 0; break;
    case LF_INC: of = ((a ^ r) & (1 ^ r) & sb) != 0; break;
    case LF_DEC: of = ((a ^ 1) & (a ^ r) & sb) != 0; break;
    case LF_LOGIC: of = false; break;
    default: of = b != 0; break;   /* LF_SHIFT, LF_ROT */
    }
    flags_rotate(c, cf, of);
}

#endif
