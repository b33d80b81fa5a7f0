/* Shifts and rotates: rol ror rcl rcr shl shr sar (C0/C1/D0-D3) and shld/shrd, with the flags the
 * SDM's pseudocode gives (a masked count of 0 changes nothing, flags included). */
#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

static uint64_t do_shift(struct cpu *c, unsigned op, unsigned size, uint64_t v, unsigned count)
{
    unsigned bits = size * 8;
    uint64_t m = size_mask(size), sb = sign_bit(size);
    count &= size == 8 ? 63 : 31;
    v &= m;
    if (count == 0)
        return v;
    /* Rotates keep SF, ZF, AF and PF (flags_rotate). */
    uint64_t r;
    bool cf;
    switch (op) {
    case 0: {   /* rol */
        unsigned n = count % bits;
        r = n ? ((v << n) | (v >> (bits - n))) & m : v;
        cf = r & 1;
        flags_rotate(c, cf, !!(r & sb) != cf);
        return r;
    }
    case 1: {   /* ror */
        unsigned n = count % bits;
        r = n ? ((v >> n) | (v << (bits - n))) & m : v;
        cf = (r & sb) != 0;
        bool b2 = (r >> (bits - 2)) & 1;
        flags_rotate(c, cf, cf != b2);
        return r;
    }
    case 2: case 3: {   /* rcl, rcr: a (bits+1)-bit rotation through CF */
        unsigned n = size <= 2 ? count % (bits + 1) : count;
        cf = cpu_cf(c);
        r = v;
        for (unsigned k = 0; k < n; k++) {
            if (op == 2) {
                bool out = (r & sb) != 0;
                r = ((r << 1) | cf) & m;
                cf = out;
            } else {
                bool out = r & 1;
                r = (r >> 1) | (cf ? sb : 0);
                cf = out;
            }
        }
        bool of = op == 2 ? (!!(r & sb) != cf) : (((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1);
        flags_rotate(c, cf, of);
        return r;
    }
    case 4: case 6:   /* shl/sal */
        r = count < bits ? (v << count) & m : 0;
        cf = count <= bits ? (v >> (bits - count)) & 1 : 0;
        lf_set(c, LF_SHIFT, size, r, cf, !!(r & sb) != cf);
        return r;
    case 5:   /* shr */
        r = count < bits ? v >> count : 0;
        cf = count <= bits ? (v >> (count - 1)) & 1 : 0;
        lf_set(c, LF_SHIFT, size, r, cf, (v & sb) != 0);
        return r;
    default: {   /* sar */
        int64_t s = sext(v, size);
        unsigned n = count < bits ? count : bits - 1;
        cf = ((count - 1 < bits ? s >> (count - 1) : s >> (bits - 1)) & 1) != 0;
        r = (uint64_t)(s >> n) & m;
        lf_set(c, LF_SHIFT, size, r, cf, 0);
        return r;
    }
    }
}

static uint64_t rmw_shift(struct cpu *c, unsigned size, uint64_t old, uint64_t count, unsigned op)
{
    return do_shift(c, op, size, old, (unsigned)count);
}

/* C0/C1 by imm8, D0/D1 by 1, D2/D3 by CL. */
OP(op_grp2)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    unsigned count = i->op <= 0xc1 ? (unsigned)i->imm : i->op <= 0xd1 ? 1 : (unsigned)c->gpr[R_RCX];
    alu_rmw(c, i, size, rmw_shift, count & 0xff, (i->modrm >> 3) & 7);
}

/* Double-precision shifts: dest:src as one 2*bits value (SDM vol. 2, SHLD/SHRD). */
static uint64_t shxd(struct cpu *c, unsigned size, uint64_t d, uint64_t s, unsigned count, bool left)
{
    unsigned bits = size * 8;
    uint64_t m = size_mask(size), sb = sign_bit(size);
    count &= size == 8 ? 63 : 31;
    d &= m;
    s &= m;
    if (count == 0)
        return d;
    uint64_t r;
    bool cf;
    if (size == 2 && count > 16) {
        /* Undefined by the SDM; Intel hardware shifts through the 48-bit value d:s:d. */
        unsigned __int128 w = left ? ((unsigned __int128)d << 32) | (s << 16) | d
                                   : d | (s << 16) | ((unsigned __int128)d << 32);
        if (left) {
            r = (uint64_t)(w >> (32 - count)) & m;
            cf = (w >> (48 - count)) & 1;
        } else {
            r = (uint64_t)(w >> count) & m;
            cf = (w >> (count - 1)) & 1;
        }
    } else if (left) {
        unsigned __int128 w = ((unsigned __int128)d << bits) | s;
        r = (uint64_t)(w >> (bits - count)) & m;
        cf = (w >> (2 * bits - count)) & 1;
    } else {
        unsigned __int128 w = ((unsigned __int128)s << bits) | d;
        r = (uint64_t)(w >> count) & m;
        cf = (w >> (count - 1)) & 1;
    }
    lf_set(c, LF_SHIFT, size, r, cf, ((r ^ d) & sb) != 0);
    return r;
}

static uint64_t rmw_shld(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    return shxd(c, size, old, arg, op & 0xff, true);
}

static uint64_t rmw_shrd(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    return shxd(c, size, old, arg, op & 0xff, false);
}

OP(op_shld)
{
    unsigned count = (i->op & 1) ? (unsigned)c->gpr[R_RCX] : (unsigned)i->imm;
    alu_rmw(c, i, i->opsize, rmw_shld, reg_read(c, i->reg, i->opsize), count & 0xff);
}

OP(op_shrd)
{
    unsigned count = (i->op & 1) ? (unsigned)c->gpr[R_RCX] : (unsigned)i->imm;
    alu_rmw(c, i, i->opsize, rmw_shrd, reg_read(c, i->reg, i->opsize), count & 0xff);
}
