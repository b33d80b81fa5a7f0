/* String instructions: movs cmps stos lods scas ins outs, with rep/repe/repne. Registers are updated
 * per element, so a fault in the middle restarts the instruction where it stopped, and a long rep
 * gives way to interrupts and stop requests between iterations the same way (SDM vol. 2, REP). */
#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

struct str {
    uint64_t amask;            /* address-size mask for rSI/rDI/rCX */
    unsigned size;
    int64_t step;
};

static struct str str_setup(struct cpu *c, const struct insn *i)
{
    struct str s;
    s.amask = size_mask(i->addrsize);
    s.size = (i->op & 1) ? i->opsize : 1;
    s.step = (c->flags & F_DF) ? -(int64_t)s.size : (int64_t)s.size;
    return s;
}

static void advance(struct cpu *c, unsigned r, const struct str *s, const struct insn *i)
{
    reg_write(c, r, i->addrsize, (c->gpr[r] + (uint64_t)s->step) & s->amask);
}

static uint64_t count(struct cpu *c, const struct insn *i)
{
    return reg_read(c, R_RCX, i->addrsize);
}

/* rep with a zero count does nothing. On Intel a 32-bit count register is still written (its upper
 * half cleared), and so are rSI/rDI of movs/stos; AMD leaves them all (as seen on Intel Xeon and AMD
 * EPYC hosts; tests/isa/FINDINGS.md). */
static bool rep_none(struct cpu *c, const struct insn *i)
{
    if (!i->rep || count(c, i))
        return false;
    if (i->addrsize == 4 && c->vendor != CPU_VENDOR_AMD) {
        reg_write(c, R_RCX, 4, 0);
        /* movs and stos write rSI/rDI too (seen on Intel hosts; cmps/scas/lods do not). */
        if (i->op == 0xaa || i->op == 0xab || i->op == 0xa4 || i->op == 0xa5)
            reg_write(c, R_RDI, 4, c->gpr[R_RDI]);
        if (i->op == 0xa4 || i->op == 0xa5)
            reg_write(c, R_RSI, 4, c->gpr[R_RSI]);
    }
    return true;
}

/* Every REP_CHECK iterations (or page runs of rep_fast), a rep whose loop has something to look at
 * stops with rip back on itself: the loop takes the interrupt or stop request, and the instruction
 * resumes from the registers as they stand. */
#define REP_CHECK 1024u

static bool rep_yield(struct cpu *c, unsigned *n)
{
    if (++*n % REP_CHECK || !cpu_wants_exit(c))
        return false;
    c->rip = c->insn_rip;
    c->tb_end = true;
    return true;
}

static void count_dec(struct cpu *c, const struct insn *i)
{
    reg_write(c, R_RCX, i->addrsize, count(c, i) - 1);
}

/* Fast path for rep movs/stos moving forward: whole runs inside one page on each side, copied
 * with host memory operations after a TLB translation. Returns false when it cannot help. */
static bool rep_fast(struct cpu *c, const struct insn *i, const struct str *s, bool movs)
{
    if (s->step < 0 || c->code_size != 8)
        return false;
    uint64_t n = count(c, i);
    uint64_t dlin = seg_linear(c, SEG_ES, c->gpr[R_RDI] & s->amask, s->size, ACC_WRITE);
    unsigned room = 4096 - (unsigned)(dlin & 0xfff);
    uint64_t slin = 0;
    if (movs) {
        slin = seg_linear(c, i->seg, c->gpr[R_RSI] & s->amask, s->size, ACC_READ);
        unsigned sroom = 4096 - (unsigned)(slin & 0xfff);
        if (sroom < room)
            room = sroom;
    }
    uint64_t elems = room / s->size;
    if (elems > n)
        elems = n;
    if (elems < 2)
        return false;
    uint8_t *d = lin_host_rmw(c, dlin & ~0xfffull, 8);
    if (!d)
        return false;
    d += dlin & 0xfff;
    uint64_t bytes = elems * s->size;
    if (movs) {
        /* Source through the read TLB: one element read fills it. */
        lin_read(c, slin, 1, cpu_user(c));
        const struct tlb_entry *e = &c->tlb[cpu_user(c)][(slin >> 12) & (TLB_SIZE - 1)];
        if (e->tag_read != (slin & ~0xfffull))
            return false;
        const uint8_t *sp = (const uint8_t *)e->host + (slin & 0xfff);
        /* Element by element forward: an overlapping destination just above the source sees the
         * bytes already copied (memmove would not). */
        if (d > sp && d < sp + bytes)
            return false;
        memmove(d, sp, bytes);
        reg_write(c, R_RSI, i->addrsize, (c->gpr[R_RSI] + bytes) & s->amask);
    } else {
        uint64_t v = c->gpr[R_RAX];
        if (s->size == 1) {
            memset(d, (int)(v & 0xff), bytes);
        } else {
            for (uint64_t k = 0; k < elems; k++)
                memcpy(d + k * s->size, &v, s->size);
        }
    }
    reg_write(c, R_RDI, i->addrsize, (c->gpr[R_RDI] + bytes) & s->amask);
    reg_write(c, R_RCX, i->addrsize, n - elems);
    return true;
}

OP(op_movs)
{
    struct str s = str_setup(c, i);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    do {
        if (rep && rep_fast(c, i, &s, true))
            continue;
        uint64_t v = mem_read(c, i->seg, c->gpr[R_RSI] & s.amask, s.size);
        mem_write(c, SEG_ES, c->gpr[R_RDI] & s.amask, s.size, v);
        advance(c, R_RSI, &s, i);
        advance(c, R_RDI, &s, i);
        if (rep)
            count_dec(c, i);
    } while (rep && count(c, i) && !rep_yield(c, &n));
}

OP(op_stos)
{
    struct str s = str_setup(c, i);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    do {
        if (rep && rep_fast(c, i, &s, false))
            continue;
        mem_write(c, SEG_ES, c->gpr[R_RDI] & s.amask, s.size, c->gpr[R_RAX]);
        advance(c, R_RDI, &s, i);
        if (rep)
            count_dec(c, i);
    } while (rep && count(c, i) && !rep_yield(c, &n));
}

OP(op_lods)
{
    struct str s = str_setup(c, i);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    do {
        reg_write(c, R_RAX, s.size, mem_read(c, i->seg, c->gpr[R_RSI] & s.amask, s.size));
        advance(c, R_RSI, &s, i);
        if (rep)
            count_dec(c, i);
    } while (rep && count(c, i) && !rep_yield(c, &n));
}

/* cmps/scas: repe (F3) stops when ZF = 0, repne (F2) when ZF = 1. */
OP(op_cmps)
{
    struct str s = str_setup(c, i);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    for (;;) {
        uint64_t a = mem_read(c, i->seg, c->gpr[R_RSI] & s.amask, s.size);
        uint64_t b = mem_read(c, SEG_ES, c->gpr[R_RDI] & s.amask, s.size);
        alu_op(c, ALU_CMP, s.size, a, b);
        advance(c, R_RSI, &s, i);
        advance(c, R_RDI, &s, i);
        if (!rep)
            return;
        count_dec(c, i);
        bool eq = (a & size_mask(s.size)) == (b & size_mask(s.size));
        if (!count(c, i) || eq != (i->rep == 0xf3) || rep_yield(c, &n))
            return;
    }
}

OP(op_scas)
{
    struct str s = str_setup(c, i);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    uint64_t a = reg_read(c, R_RAX, s.size);
    for (;;) {
        uint64_t b = mem_read(c, SEG_ES, c->gpr[R_RDI] & s.amask, s.size);
        alu_op(c, ALU_CMP, s.size, a, b);
        advance(c, R_RDI, &s, i);
        if (!rep)
            return;
        count_dec(c, i);
        if (!count(c, i) || (a == b) != (i->rep == 0xf3) || rep_yield(c, &n))
            return;
    }
}

static unsigned io_size(const struct insn *i)
{
    return (i->op & 1) ? (i->opsize == 2 ? 2 : 4) : 1;
}

OP(op_ins)
{
    struct str s = str_setup(c, i);
    s.size = io_size(i);
    s.step = (c->flags & F_DF) ? -(int64_t)s.size : (int64_t)s.size;
    uint16_t port = (uint16_t)c->gpr[R_RDX];
    if (!cpu_io_allowed(c, port, s.size))
        cpu_raise_gp(c, 0);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    do {
        mem_probe_write(c, SEG_ES, c->gpr[R_RDI] & s.amask, s.size);
        uint64_t v = c->env->pio_in(c, port, s.size);
        mem_write(c, SEG_ES, c->gpr[R_RDI] & s.amask, s.size, v);
        advance(c, R_RDI, &s, i);
        if (rep)
            count_dec(c, i);
    } while (rep && count(c, i) && !rep_yield(c, &n));
}

OP(op_outs)
{
    struct str s = str_setup(c, i);
    s.size = io_size(i);
    s.step = (c->flags & F_DF) ? -(int64_t)s.size : (int64_t)s.size;
    uint16_t port = (uint16_t)c->gpr[R_RDX];
    if (!cpu_io_allowed(c, port, s.size))
        cpu_raise_gp(c, 0);
    bool rep = i->rep != 0;
    unsigned n = 0;
    if (rep_none(c, i))
        return;
    do {
        uint64_t v = mem_read(c, i->seg, c->gpr[R_RSI] & s.amask, s.size);
        c->env->pio_out(c, port, v, s.size);
        advance(c, R_RSI, &s, i);
        if (rep)
            count_dec(c, i);
    } while (rep && count(c, i) && !rep_yield(c, &n));
}
