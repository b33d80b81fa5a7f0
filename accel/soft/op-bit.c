/* Bit operations: bt/bts/btr/btc (register and immediate offsets), bsf/bsr, tzcnt/lzcnt, popcnt. */
#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

static uint64_t bit_apply(unsigned kind, uint64_t v, unsigned bit)
{
    switch (kind) {
    case 1: return v | (1ull << bit);      /* bts */
    case 2: return v & ~(1ull << bit);     /* btr */
    case 3: return v ^ (1ull << bit);      /* btc */
    default: return v;                     /* bt */
    }
}

/* CF = the bit; the other arithmetic flags are undefined and kept. */
static void bit_flags(struct cpu *c, bool bit)
{
    flags_set_cf(c, bit);
}

static uint64_t rmw_bit(struct cpu *c, unsigned size, uint64_t old, uint64_t bit, unsigned kind)
{
    (void)size;
    bit_flags(c, (old >> bit) & 1);
    return bit_apply(kind, old, (unsigned)bit);
}

/* kind: 0 bt, 1 bts, 2 btr, 3 btc. A register offset may reach outside the addressed operand
 * (SDM vol. 2, BT: "bit base" addressing), an immediate one is taken modulo the size. */
static void bit_op(struct cpu *c, const struct insn *i, unsigned kind, uint64_t off, bool reg_off)
{
    unsigned size = i->opsize, bits = size * 8;
    if (i->mod == 3 || !reg_off) {
        unsigned bit = (unsigned)(off & (bits - 1));
        if (kind == 0)
            bit_flags(c, (rm_read(c, i, size) >> bit) & 1);
        else
            alu_rmw(c, i, size, rmw_bit, bit, kind);
        return;
    }
    int64_t soff = sext(off, size);
    int64_t unit = soff >= 0 ? soff / (int64_t)bits : -((-soff + (int64_t)bits - 1) / (int64_t)bits);
    unsigned bit = (unsigned)(soff - unit * (int64_t)bits);
    uint64_t ea = (insn_ea(c, i) + (uint64_t)(unit * (int64_t)size)) & size_mask(i->addrsize);
    if (kind == 0) {
        bit_flags(c, (mem_read(c, i->seg, ea, size) >> bit) & 1);
        return;
    }
    uint64_t lin = seg_linear(c, i->seg, ea, size, ACC_WRITE);
    void *p = i->lock ? lin_host_rmw(c, lin, size) : NULL;
    if (p) {
        uint64_t mask = 1ull << bit, old;
        switch (size) {
        case 2:
            old = kind == 1 ? __atomic_fetch_or((uint16_t *)p, (uint16_t)mask, __ATOMIC_SEQ_CST)
                : kind == 2 ? __atomic_fetch_and((uint16_t *)p, (uint16_t)~mask, __ATOMIC_SEQ_CST)
                : __atomic_fetch_xor((uint16_t *)p, (uint16_t)mask, __ATOMIC_SEQ_CST);
            break;
        case 4:
            old = kind == 1 ? __atomic_fetch_or((uint32_t *)p, (uint32_t)mask, __ATOMIC_SEQ_CST)
                : kind == 2 ? __atomic_fetch_and((uint32_t *)p, (uint32_t)~mask, __ATOMIC_SEQ_CST)
                : __atomic_fetch_xor((uint32_t *)p, (uint32_t)mask, __ATOMIC_SEQ_CST);
            break;
        default:
            old = kind == 1 ? __atomic_fetch_or((uint64_t *)p, mask, __ATOMIC_SEQ_CST)
                : kind == 2 ? __atomic_fetch_and((uint64_t *)p, ~mask, __ATOMIC_SEQ_CST)
                : __atomic_fetch_xor((uint64_t *)p, mask, __ATOMIC_SEQ_CST);
            break;
        }
        bit_flags(c, (old >> bit) & 1);
        return;
    }
    uint64_t old = lin_read(c, lin, size, cpu_user(c));
    lin_write(c, lin, size, bit_apply(kind, old, bit), cpu_user(c));
    bit_flags(c, (old >> bit) & 1);
}

/* 0F A3 bt, AB bts, B3 btr, BB btc: the kind is in opcode bits 4:3. */
OP(op_bt)
{
    bit_op(c, i, (i->op >> 3) & 3, reg_read(c, i->reg, i->opsize), true);
}

/* 0F BA /4 bt, /5 bts, /6 btr, /7 btc with imm8. */
OP(op_grp8)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (sub < 4)
        cpu_raise_ud(c);
    bit_op(c, i, sub - 4, i->imm, false);
}

OP(op_bsf)
{
    uint64_t v = rm_read(c, i, i->opsize);
    unsigned bits = i->opsize * 8;
    uint64_t f = cpu_get_flags(c) & F_ARITH;
    if (i->pfx == 2) {   /* tzcnt */
        unsigned n = v ? (unsigned)__builtin_ctzll(v) : bits;
        reg_write(c, i->reg, i->opsize, n);
        flags_set_arith(c, (f & ~(uint64_t)(F_CF | F_ZF)) | (v ? 0 : F_CF) | (n ? 0 : F_ZF));
        return;
    }
    if (!v) {
        flags_set_arith(c, f | F_ZF);   /* destination unchanged */
        return;
    }
    reg_write(c, i->reg, i->opsize, (unsigned)__builtin_ctzll(v));
    flags_set_arith(c, f & ~(uint64_t)F_ZF);
}

OP(op_bsr)
{
    uint64_t v = rm_read(c, i, i->opsize);
    unsigned bits = i->opsize * 8;
    uint64_t f = cpu_get_flags(c) & F_ARITH;
    if (i->pfx == 2) {   /* lzcnt */
        unsigned n = v ? (unsigned)__builtin_clzll(v) - (64 - bits) : bits;
        reg_write(c, i->reg, i->opsize, n);
        flags_set_arith(c, (f & ~(uint64_t)(F_CF | F_ZF)) | (v ? 0 : F_CF) | (n ? 0 : F_ZF));
        return;
    }
    if (!v) {
        flags_set_arith(c, f | F_ZF);
        return;
    }
    reg_write(c, i->reg, i->opsize, 63 - (unsigned)__builtin_clzll(v));
    flags_set_arith(c, f & ~(uint64_t)F_ZF);
}

OP(op_popcnt)
{
    if (i->pfx != 2)
        cpu_raise_ud(c);
    uint64_t v = rm_read(c, i, i->opsize);
    reg_write(c, i->reg, i->opsize, (unsigned)__builtin_popcountll(v));
    flags_set_arith(c, v ? 0 : F_ZF);
}
