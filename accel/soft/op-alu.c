/* Integer ALU: add/or/adc/sbb/and/sub/xor/cmp in all their forms, test, inc/dec, and the BCD
 * adjustments. Flags are recorded lazily (flags.c). */
#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

uint64_t alu_op(struct cpu *c, unsigned op, unsigned size, uint64_t a, uint64_t b)
{
    uint64_t m = size_mask(size);
    return alu_compute(c, op, size, a & m, b & m);
}

/* Read-modify-write of the r/m operand; with a lock prefix on memory, an atomic compare-and-swap
 * loop on the host page so that other vCPUs see the operation whole. */
void alu_rmw(struct cpu *c, const struct insn *i, unsigned size,
             uint64_t (*fn)(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op),
             uint64_t arg, unsigned op)
{
    if (i->mod == 3) {
        uint64_t old = greg_read(c, i, i->rm, size);
        greg_write(c, i, i->rm, size, fn(c, size, old, arg, op));
        return;
    }
    uint64_t lin = ea_linear_rmw(c, i, size);
    bool user = cpu_user(c);
    void *p = i->lock ? lin_host_rmw(c, lin, size) : NULL;
    if (!p) {
        uint64_t old = lin_read(c, lin, size, user);
        uint64_t nv = fn(c, size, old, arg, op);
        lin_write(c, lin, size, nv, user);
        return;
    }
    for (;;) {
        uint64_t old, nv;
        bool ok;
        switch (size) {
        case 1: {
            uint8_t o = __atomic_load_n((uint8_t *)p, __ATOMIC_RELAXED);
            old = o;
            nv = fn(c, size, old, arg, op);
            ok = __atomic_compare_exchange_n((uint8_t *)p, &o, (uint8_t)nv, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
            break;
        }
        case 2: {
            uint16_t o = __atomic_load_n((uint16_t *)p, __ATOMIC_RELAXED);
            old = o;
            nv = fn(c, size, old, arg, op);
            ok = __atomic_compare_exchange_n((uint16_t *)p, &o, (uint16_t)nv, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
            break;
        }
        case 4: {
            uint32_t o = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
            old = o;
            nv = fn(c, size, old, arg, op);
            ok = __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)nv, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
            break;
        }
        default: {
            uint64_t o = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
            old = o;
            nv = fn(c, size, old, arg, op);
            ok = __atomic_compare_exchange_n((uint64_t *)p, &o, nv, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
            break;
        }
        }
        if (ok)
            return;
    }
}

static uint64_t rmw_alu(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    return alu_op(c, op, size, old, arg);
}

static uint64_t rmw_incdec(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)op;
    return alu_incdec(c, size, old, arg != 0);
}

static void alu_to_rm(struct cpu *c, const struct insn *i, unsigned op, unsigned size, uint64_t src)
{
    if (i->mod == 3) {
        uint64_t r = alu_op(c, op, size, greg_read(c, i, i->rm, size), src);
        if (op != ALU_CMP)
            greg_write(c, i, i->rm, size, r);
        return;
    }
    if (op == ALU_CMP)
        alu_op(c, op, size, rm_read(c, i, size), src);
    else
        alu_rmw(c, i, size, rmw_alu, src, op);
}

/* 00-3D: the eight operations in six forms each, selected by opcode bits 5:3 and 2:0. */
OP(op_alu)
{
    unsigned op = (i->op >> 3) & 7, size = (i->op & 1) ? i->opsize : 1;
    switch (i->op & 7) {
    case 0: case 1:
        alu_to_rm(c, i, op, size, greg_read(c, i, i->reg, size));
        break;
    case 2: case 3: {
        uint64_t r = alu_op(c, op, size, greg_read(c, i, i->reg, size), rm_read(c, i, size));
        if (op != ALU_CMP)
            greg_write(c, i, i->reg, size, r);
        break;
    }
    default: {
        uint64_t r = alu_op(c, op, size, reg_read(c, R_RAX, size), i->imm);
        if (op != ALU_CMP)
            reg_write(c, R_RAX, size, r);
        break;
    }
    }
}

/* 80-83: ALU operation /reg on r/m with an immediate. */
OP(op_grp1)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    alu_to_rm(c, i, (i->modrm >> 3) & 7, size, i->imm);
}

OP(op_test_rm_r)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    alu_op(c, ALU_AND, size, rm_read(c, i, size), greg_read(c, i, i->reg, size));
}

OP(op_test_a_imm)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    alu_op(c, ALU_AND, size, reg_read(c, R_RAX, size), i->imm);
}

OP(op_inc_r)
{
    unsigned r = i->op & 7;
    reg_write(c, r, i->opsize, alu_incdec(c, i->opsize, reg_read(c, r, i->opsize), false));
}

OP(op_dec_r)
{
    unsigned r = i->op & 7;
    reg_write(c, r, i->opsize, alu_incdec(c, i->opsize, reg_read(c, r, i->opsize), true));
}

/* FE /0 inc Eb, /1 dec Eb. */
OP(op_grp4)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (sub > 1)
        cpu_raise_ud(c);
    alu_rmw(c, i, 1, rmw_incdec, sub, 0);
}

/* daa das aaa aas (SDM vol. 2, their pseudocode). */
OP(op_bcd)
{
    uint64_t f = cpu_get_flags(c);
    uint8_t al = (uint8_t)c->gpr[R_RAX], old_al = al;
    bool cf = f & F_CF, af = f & F_AF;
    uint64_t nf = 0;
    switch (i->op) {
    case 0x27:   /* daa */
    case 0x2f: { /* das */
        bool sub = i->op == 0x2f, ncf = false;
        if ((al & 0xf) > 9 || af) {
            ncf = cf || (sub ? al < 6 : al > 0xf9);
            al = (uint8_t)(sub ? al - 6 : al + 6);
            nf |= F_AF;
        }
        if (old_al > 0x99 || cf) {
            al = (uint8_t)(sub ? al - 0x60 : al + 0x60);
            ncf = true;
        }
        if (ncf)
            nf |= F_CF;
        nf |= parity8(al) | (al ? 0 : F_ZF) | (al & 0x80 ? F_SF : 0);
        reg_write(c, R_RAX, 1, al);
        break;
    }
    default: {   /* 37 aaa, 3f aas: AX adjusted as a whole */
        uint16_t ax = (uint16_t)c->gpr[R_RAX];
        if ((al & 0xf) > 9 || af) {
            if (i->op == 0x37)
                ax = (uint16_t)(((ax + 0x106) & 0xff00) | ((ax + 6) & 0xf));
            else
                ax = (uint16_t)(((ax - 0x106) & 0xff00) | ((ax - 6) & 0xf));
            nf |= F_AF | F_CF;
        } else {
            ax &= 0xff0f;
        }
        reg_write(c, R_RAX, 2, ax);
        al = (uint8_t)ax;
        nf |= parity8(al) | (al ? 0 : F_ZF) | (al & 0x80 ? F_SF : 0);
        break;
    }
    }
    flags_set_arith(c, nf);
}

OP(op_aam)
{
    uint8_t base = (uint8_t)i->imm, al = (uint8_t)c->gpr[R_RAX];
    if (base == 0)
        cpu_raise(c, EXC_DE, false, 0);
    uint8_t ah = al / base;
    al = al % base;
    reg_write(c, R_RAX, 2, (uint16_t)(ah << 8 | al));
    flags_set_arith(c, parity8(al) | (al ? 0 : F_ZF) | (al & 0x80 ? F_SF : 0));
}

OP(op_aad)
{
    uint8_t base = (uint8_t)i->imm;
    uint16_t ax = (uint16_t)c->gpr[R_RAX];
    uint8_t al = (uint8_t)((ax & 0xff) + (ax >> 8) * base);
    reg_write(c, R_RAX, 2, al);
    flags_set_arith(c, parity8(al) | (al ? 0 : F_ZF) | (al & 0x80 ? F_SF : 0));
}

OP(op_salc)
{
    (void)i;
    reg_write(c, R_RAX, 1, cpu_cf(c) ? 0xff : 0);
}
