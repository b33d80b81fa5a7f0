/* Multiply and divide (F6/F7 group 3, imul forms): full-width products in 128 bits, #DE on a zero
 * divisor or a quotient that does not fit. Group 3 also holds test, not and neg. */
#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

static uint64_t rmw_not(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)c; (void)arg; (void)op;
    return ~old & size_mask(size);
}

static uint64_t rmw_neg(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)arg; (void)op;
    return alu_op(c, ALU_SUB, size, 0, old);
}

/* Flags of mul/imul: CF = OF = "the high half matters"; SF/ZF/PF (undefined) from the low half. */
static void mul_flags(struct cpu *c, uint64_t lo, unsigned size, bool overflow)
{
    lf_set(c, LF_SHIFT, size, lo, overflow, overflow);
}

static void mul(struct cpu *c, unsigned size, uint64_t src, bool sign)
{
    uint64_t m = size_mask(size);
    if (size == 1) {
        uint16_t r = sign ? (uint16_t)((int8_t)c->gpr[R_RAX] * (int8_t)src)
                          : (uint16_t)((uint8_t)c->gpr[R_RAX] * (uint8_t)src);
        reg_write(c, R_RAX, 2, r);
        bool ov = sign ? (int16_t)r != (int8_t)r : (r >> 8) != 0;
        mul_flags(c, r, 1, ov);
        return;
    }
    unsigned bits = size * 8;
    uint64_t lo, hi;
    bool ov;
    if (sign) {
        __int128 r = (__int128)sext(c->gpr[R_RAX], size) * sext(src, size);
        lo = (uint64_t)r & m;
        hi = (uint64_t)(r >> bits) & m;
        ov = r != (__int128)sext(lo, size);
    } else {
        unsigned __int128 r = (unsigned __int128)(c->gpr[R_RAX] & m) * (src & m);
        lo = (uint64_t)r & m;
        hi = (uint64_t)(r >> bits) & m;
        ov = hi != 0;
    }
    reg_write(c, R_RAX, size, lo);
    reg_write(c, R_RDX, size, hi);
    mul_flags(c, lo, size, ov);
}

static void divide(struct cpu *c, unsigned size, uint64_t src, bool sign)
{
    uint64_t m = size_mask(size);
    unsigned bits = size * 8;
    src &= m;
    if (src == 0)
        cpu_raise(c, EXC_DE, false, 0);
    if (size == 1) {
        uint16_t ax = (uint16_t)c->gpr[R_RAX];
        if (sign) {
            int q = (int16_t)ax / (int8_t)src, r = (int16_t)ax % (int8_t)src;
            if (q > 127 || q < -128)
                cpu_raise(c, EXC_DE, false, 0);
            reg_write(c, R_RAX, 2, (uint16_t)(((r & 0xff) << 8) | (q & 0xff)));
        } else {
            unsigned q = ax / (uint8_t)src, r = ax % (uint8_t)src;
            if (q > 255)
                cpu_raise(c, EXC_DE, false, 0);
            reg_write(c, R_RAX, 2, (uint16_t)((r << 8) | q));
        }
        return;
    }
    uint64_t q, r;
    if (!sign && (c->gpr[R_RDX] & m) == 0) {
        /* The usual case: a dividend that fits one register, so the quotient fits too and the
         * host's 64-bit divide does (no 128-bit library call). */
        uint64_t lo = c->gpr[R_RAX] & m;
        reg_write(c, R_RAX, size, lo / src);
        reg_write(c, R_RDX, size, lo % src);
        return;
    }
    unsigned __int128 n = ((unsigned __int128)(c->gpr[R_RDX] & m) << bits) | (c->gpr[R_RAX] & m);
    if (sign) {
        __int128 sn = bits == 64 ? (__int128)n : (__int128)(n << (128 - 2 * bits)) >> (128 - 2 * bits);
        __int128 d = sext(src, size);
        if (d == -1 && sn == (__int128)((unsigned __int128)1 << 127) && bits == 64)
            cpu_raise(c, EXC_DE, false, 0);   /* the one quotient __int128 cannot hold */
        __int128 sq = sn / d, sr = sn % d;
        __int128 lim = (__int128)1 << (bits - 1);
        if (sq >= lim || sq < -lim)
            cpu_raise(c, EXC_DE, false, 0);
        q = (uint64_t)sq & m;
        r = (uint64_t)sr & m;
    } else {
        unsigned __int128 uq = n / src;
        if (uq > m)
            cpu_raise(c, EXC_DE, false, 0);
        q = (uint64_t)uq;
        r = (uint64_t)(n % src);
    }
    reg_write(c, R_RAX, size, q);
    reg_write(c, R_RDX, size, r);
}

OP(op_grp3)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    switch ((i->modrm >> 3) & 7) {
    case 0: case 1:
        alu_op(c, ALU_AND, size, rm_read(c, i, size), i->imm);
        break;
    case 2:
        alu_rmw(c, i, size, rmw_not, 0, 0);
        break;
    case 3:
        alu_rmw(c, i, size, rmw_neg, 0, 0);
        break;
    case 4: mul(c, size, rm_read(c, i, size), false); break;
    case 5: mul(c, size, rm_read(c, i, size), true); break;
    case 6: divide(c, size, rm_read(c, i, size), false); break;
    default: divide(c, size, rm_read(c, i, size), true); break;
    }
}

static uint64_t imul2(struct cpu *c, unsigned size, uint64_t a, uint64_t b)
{
    __int128 r = (__int128)sext(a, size) * sext(b, size);
    uint64_t lo = (uint64_t)r & size_mask(size);
    mul_flags(c, lo, size, r != (__int128)sext(lo, size));
    return lo;
}

OP(op_imul_r_rm)
{
    uint64_t v = imul2(c, i->opsize, reg_read(c, i->reg, i->opsize), rm_read(c, i, i->opsize));
    reg_write(c, i->reg, i->opsize, v);
}

OP(op_imul_r_rm_imm)
{
    uint64_t v = imul2(c, i->opsize, rm_read(c, i, i->opsize), i->imm);
    reg_write(c, i->reg, i->opsize, v);
}
