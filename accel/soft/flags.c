/* Lazy arithmetic flags: an ALU instruction records its operands and result; CF, PF, AF, ZF, SF and
 * OF are derived only when a jcc, pushf, adc... reads them (as QEMU's cc_op and Bochs's lazy flags). */
#include "accel/soft/cpu.h"

unsigned parity8(uint64_t v)
{
    return __builtin_parity((unsigned)(v & 0xff)) ? 0 : F_PF;
}

uint64_t flags_arith(struct cpu *c)
{
    const struct lazy_flags *l = &c->lf;
    if (l->op == LF_NONE)
        return c->flags & F_ARITH;
    uint64_t mask = size_mask(l->size), sb = sign_bit(l->size);
    uint64_t r = l->res & mask, a = l->src1, b = l->src2;
    uint64_t f = parity8(r);
    if (r == 0)
        f |= F_ZF;
    if (r & sb)
        f |= F_SF;
    switch (l->op) {
    case LF_ADD:
        /* Carry out of the top bit, valid with or without a carry in. */
        if (((a & b) | ((a | b) & ~r)) & sb)
            f |= F_CF;
        if ((a ^ r) & (b ^ r) & sb)
            f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        break;
    case LF_SUB:
        if (((~a & b) | (~(a ^ b) & r)) & sb)
            f |= F_CF;
        if ((a ^ b) & (a ^ r) & sb)
            f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        break;
    case LF_INC:
        f |= l->cin ? F_CF : 0;
        if ((a ^ r) & (1 ^ r) & sb)
            f |= F_OF;
        f |= (a ^ 1 ^ r) & F_AF;
        break;
    case LF_DEC:
        f |= l->cin ? F_CF : 0;
        if ((a ^ 1) & (a ^ r) & sb)
            f |= F_OF;
        f |= (a ^ 1 ^ r) & F_AF;
        break;
    case LF_SHIFT:
        f |= (a ? F_CF : 0) | (b ? F_OF : 0);
        break;
    case LF_ROT:
        f |= (a ? F_CF : 0) | (b ? F_OF : 0) | (l->cin ? F_AF : 0);
        break;
    default:   /* LF_LOGIC: CF = OF = 0, AF undefined (0 here) */
        break;
    }
    return f;
}

uint64_t cpu_get_flags(struct cpu *c)
{
    if (c->lf.op != LF_NONE) {
        c->flags = (c->flags & ~(uint64_t)F_ARITH) | flags_arith(c);
        c->lf.op = LF_NONE;
    }
    return c->flags | 2;
}

void cpu_set_flags(struct cpu *c, uint64_t f)
{
    uint64_t old = c->flags;
    c->lf.op = LF_NONE;
    c->flags = (f & 0x3f7fd5) | 2;
    cpu_attend_flags(c, old);
}

/* Chained blocks test neither TF nor the interrupt hint (jit-chain.c): a write that sets TF, or
 * sets IF while the interrupt controller's hint is up, raises attn instead. The hint raised by
 * another thread after this look comes with a kick (hw/apic.h), which chained blocks see. */
void cpu_attend_flags(struct cpu *c, uint64_t old)
{
    if ((c->flags & F_TF) ||
        ((c->flags & ~old & F_IF) && c->irq_line &&
         atomic_load_explicit(c->irq_line, memory_order_acquire)))
        c->attn = true;
}

/* Condition codes (SDM vol. 1, appendix B). The common compare-and-branch cases are answered
 * straight from the recorded operands. */
bool cpu_cond(struct cpu *c, unsigned cc)
{
    const struct lazy_flags *l = &c->lf;
    if (l->op == LF_SUB && (cc & 0xe) != 0xa) {
        uint64_t mask = size_mask(l->size);
        uint64_t a = l->src1 & mask, b = l->src2 & mask, r = l->res & mask;
        if (!l->cin) {   /* no borrow in: a plain sub/cmp */
            int64_t sa = sext(a, l->size), sbv = sext(b, l->size);
            bool v;
            switch (cc >> 1) {
            case 0: v = (((a ^ b) & (a ^ r)) & sign_bit(l->size)) != 0; break;   /* O */
            case 1: v = a < b; break;                                          /* B */
            case 2: v = r == 0; break;                                         /* Z */
            case 3: v = a <= b; break;                                         /* BE */
            case 4: v = (r & sign_bit(l->size)) != 0; break;                   /* S */
            case 6: v = sa < sbv; break;                                       /* L */
            default: v = sa <= sbv; break;                                     /* LE */
            }
            return v != (cc & 1);
        }
    }
    /* ZF and SF come straight from the result for every recorded operation. */
    if (l->op != LF_NONE && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
        uint64_t r = l->res & size_mask(l->size);
        bool v = (cc >> 1) == 2 ? r == 0 : (r & sign_bit(l->size)) != 0;
        return v != (cc & 1);
    }
    uint64_t f = flags_arith(c);
    bool v;
    switch (cc >> 1) {
    case 0: v = f & F_OF; break;
    case 1: v = f & F_CF; break;
    case 2: v = f & F_ZF; break;
    case 3: v = f & (F_CF | F_ZF); break;
    case 4: v = f & F_SF; break;
    case 5: v = f & F_PF; break;
    case 6: v = !(f & F_SF) != !(f & F_OF); break;
    default: v = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
    }
    return v != (cc & 1);
}
