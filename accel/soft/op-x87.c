/* x87 FPU: the register stack (TOP, tags), stack faults, the exception policy and the D8-DF
 * escapes (SDM vol. 1 chapter 8; vol. 2 F* entries; opcode map appendix A.4). The arithmetic itself
 * runs on the host's x87 unit (op-x87-host.c), the packed-BCD conversions of fbld/fbstp included. */
#include "accel/soft/op-x87.h"
#include "accel/soft/op-x87-host.h"
#include "accel/soft/op-x87-util.h"

enum {
    SW_IE = 0x0001, SW_DE = 0x0002, SW_ZE = 0x0004, SW_SF = 0x0040, SW_ES = 0x0080,
    SW_C0 = 0x0100, SW_C1 = 0x0200, SW_C2 = 0x0400, SW_C3 = 0x4000, SW_B = 0x8000,
    SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3,
};

/* The QNaN the masked invalid-operation response produces (SDM vol. 1, table 4-3). */
static const union x87_reg indefinite = { .r = { 0xc000000000000000ull, 0xffff } };

void x87_init(struct fpu *f)
{
    memset(f, 0, sizeof(*f));
    f->fcw = 0x37f;
    f->ftw = 0xffff;
}

uint16_t x87_fcw_bits(uint16_t v)
{
    return (uint16_t)((v & 0x1f3f) | 0x40);
}

uint16_t x87_status_word(const struct fpu *f)
{
    return (uint16_t)((f->fsw & ~0x3800u) | (f->top & 7u) << 11);
}

unsigned x87_tag_of(const union x87_reg *r)
{
    unsigned e = r->r.sexp & 0x7fff;
    if (e == 0x7fff)
        return 2;
    if (e == 0)
        return r->r.mant ? 2 : 1;
    return (r->r.mant >> 63) ? 0 : 2;      /* an unnormal is "special" */
}

/* ---- the register stack ---- */

static unsigned phys(const struct fpu *f, unsigned i) { return (f->top + i) & 7; }
static bool empty(const struct fpu *f, unsigned i) { return ((f->ftw >> (2 * phys(f, i))) & 3) == 3; }
static union x87_reg *st(struct fpu *f, unsigned i) { return &f->st[phys(f, i)]; }

static void set_tag(struct fpu *f, unsigned p, unsigned tag)
{
    f->ftw = (uint16_t)((f->ftw & ~(3u << (2 * p))) | tag << (2 * p));
}

static void st_set(struct fpu *f, unsigned i, const union x87_reg *v)
{
    unsigned p = phys(f, i);
    f->st[p] = *v;
    set_tag(f, p, x87_tag_of(v));
}

static void push(struct fpu *f, const union x87_reg *v)
{
    f->top = (f->top - 1) & 7;
    st_set(f, 0, v);
}

static void pop(struct fpu *f)
{
    set_tag(f, f->top, 3);
    f->top = (f->top + 1) & 7;
}

/* Merges an instruction's status into FSW: its exception flags (sticky), the condition codes it
 * defines (ccmask), and the ES/B summary when an unmasked exception is pending. */
static void apply(struct fpu *f, uint16_t sw, uint16_t ccmask)
{
    /* An unmasked invalid (other than a stack fault), denormal or divide exception stops the
     * instruction before it computes: no precision/overflow/underflow flags, C1 clear, the other
     * condition codes unchanged (as seen on this host; SDM vol. 1, 8.5). */
    if ((sw & ~f->fcw & (SW_DE | SW_ZE)) || ((sw & ~f->fcw & SW_IE) && !(sw & SW_SF))) {
        ccmask = SW_C1;
        sw &= SW_IE | SW_DE | SW_ZE;
    }
    f->fsw = (uint16_t)((f->fsw & ~ccmask) | (sw & ccmask) | (sw & 0x7f));
    if (f->fsw & ~f->fcw & 0x3f)
        f->fsw |= SW_ES | SW_B;
}

/* May the result be written? Not after an unmasked invalid, denormal or divide exception: those are
 * reported before anything changes (SDM vol. 1, 8.5 and 8.7). */
static bool commit_ok(const struct fpu *f, uint16_t sw)
{
    return !(sw & ~f->fcw & (SW_IE | SW_DE | SW_ZE));
}

/* Stack underflow: invalid operation with SF set and C1 clear; overflow: C1 set. */
#define UNDERFLOW (SW_IE | SW_SF)

static uint64_t x87_ea(struct cpu *c, const struct insn *i)
{
    uint64_t ea = insn_ea(c, i);
    c->fpu.fdp = ea;
    return ea;
}

static void mem_in(struct cpu *c, const struct insn *i, void *buf, unsigned n)
{
    mem_read_buf(c, i->seg, x87_ea(c, i), buf, n);
}

/* ---- groups of instructions ---- */

static unsigned faults2(const struct fpu *f, unsigned a, unsigned b)
{
    return (empty(f, a) ? X_EMPTY0 : 0) | (empty(f, b) ? X_EMPTY1 : 0);
}

/* D8/DC/DE with a register, DC/DE writing ST(i): x op y into the destination, pop for DE. */
static void arith_reg(struct fpu *f, unsigned kind, unsigned dst, unsigned other, bool do_pop)
{
    union x87_reg r;
    uint16_t sw = x87_host_bin(f->fcw, f->fsw, faults2(f, dst, other), kind, st(f, dst), st(f, other), &r);
    bool ok = commit_ok(f, sw);
    apply(f, sw, SW_CC);
    if (ok) {
        st_set(f, dst, &r);
        if (do_pop)
            pop(f);
    }
}

/* fcom/fucom family and ftst: C0, C2, C3 from the compare, written even when an unmasked
 * exception holds the pops back (as seen on this host). */
static void compare(struct fpu *f, uint16_t sw, int pops)
{
    bool ok = commit_ok(f, sw);
    f->fsw = (uint16_t)((f->fsw & ~SW_CC) | (sw & SW_CC) | (sw & 0x7f));
    if (f->fsw & ~f->fcw & 0x3f)
        f->fsw |= SW_ES | SW_B;
    if (ok)
        while (pops-- > 0)
            pop(f);
}

static void compare_regs(struct fpu *f, unsigned i, bool unordered, int pops)
{
    union x87_reg r;
    compare(f, x87_host_bin(f->fcw, f->fsw, faults2(f, 0, i), unordered ? K_UCOM : K_COM, st(f, 0), st(f, i), &r), pops);
}

/* fcomi/fucomi(p): ZF, PF, CF. */
static void compare_eflags(struct cpu *c, struct fpu *f, unsigned i, bool unordered, int pops)
{
    union x87_reg r;
    uint16_t sw = x87_host_bin(f->fcw, f->fsw, faults2(f, 0, i), unordered ? K_UCOMI : K_COMI, st(f, 0), st(f, i), &r);
    bool ok = commit_ok(f, sw);
    if (!ok && !(sw & SW_SF)) {
        /* an unmasked invalid from a NaN operand (not a stack fault): no pop, condition codes
         * left alone (as seen on this host) */
        f->fsw |= (uint16_t)((sw & 0x3f) | SW_ES | SW_B);
    } else {
        apply(f, sw, SW_CC);
    }
    /* EFLAGS are written even when an unmasked invalid operation holds the pop back (as seen on
     * this host with a stack underflow) */
    flags_set_arith(c, r.r.mant & (F_ZF | F_PF | F_CF));
    if (ok)
        while (pops-- > 0)
            pop(f);
}

/* A load of any kind: the host did the conversion, and the stack overflow when ST(7) is in use. */
static void load_push(struct fpu *f, uint16_t sw, const union x87_reg *v)
{
    /* a denormal source is still loaded when its exception is unmasked (as seen on this host) */
    bool ok = !(sw & ~f->fcw & (SW_IE | SW_ZE));
    if (ok && (sw & ~f->fcw & SW_DE)) {
        f->fsw = (uint16_t)((f->fsw & ~SW_CC) | (sw & SW_CC) | (sw & 0x7f) | SW_ES | SW_B);
        push(f, v);
        return;
    }
    apply(f, sw, SW_CC);
    if (ok)
        push(f, v);
}

static unsigned full(const struct fpu *f) { return empty(f, 7) ? 0 : X_FULL; }

/* fst/fstp/fist/fistp/fisttp to memory: convert, write, then update the stack. */
static void store(struct cpu *c, const struct insn *i, unsigned kind, unsigned n, bool do_pop)
{
    struct fpu *f = &c->fpu;
    uint8_t buf[10];
    uint16_t sw = x87_host_store(f->fcw, f->fsw, empty(f, 0) ? X_EMPTY0 : 0, kind, st(f, 0), buf);
    if (!(f->fcw & 0x10) && (kind == S_F32 || kind == S_F64)) {
        /* underflow unmasked: an exact tiny (denormal) result underflows too (SDM vol. 1, 4.9.1.5) */
        uint64_t v = 0;
        memcpy(&v, buf, kind == S_F32 ? 4 : 8);
        bool den = kind == S_F32 ? ((v >> 23) & 0xff) == 0 && (v & 0x7fffff)
                                 : ((v >> 52) & 0x7ff) == 0 && (v & 0xfffffffffffffull);
        if (den)
            sw |= 0x10;
    }
    /* an unmasked overflow or underflow leaves memory and the stack alone, reports no precision
     * and clears C1 (as seen on this host) */
    bool ok = commit_ok(f, sw) && !(sw & ~f->fcw & 0x18);
    if (sw & ~f->fcw & 0x18)
        sw &= (uint16_t)~(0x20 | SW_C1);
    if (ok && n == 10 && c->vendor != CPU_VENDOR_AMD) {
        /* Intel: two stores, 8 bytes then 2, so a fault on the last bytes finds the first 8
         * written; AMD writes nothing then (tests/isa/FINDINGS.md) */
        uint64_t ea = x87_ea(c, i), lo;
        memcpy(&lo, buf, 8);
        mem_write(c, i->seg, ea, 8, lo);
        mem_write(c, i->seg, (ea + 8) & size_mask(i->addrsize), 2, (uint64_t)buf[8] | (uint64_t)buf[9] << 8);
    } else if (ok) {
        mem_write_buf(c, i->seg, x87_ea(c, i), buf, n);
    }
    apply(f, sw, SW_CC);
    if (ok && do_pop)
        pop(f);
}

/* One-operand functions of ST(0), and those that push a second result. */
static void unary(struct fpu *f, unsigned k)
{
    union x87_reg r1, r2;
    bool two = k == K_PTAN || k == K_SINCOS || k == K_XTRACT;
    unsigned faults = (empty(f, 0) ? X_EMPTY0 : 0) | (two ? full(f) : 0);
    uint16_t sw = x87_host_un(f->fcw, f->fsw, faults, k, st(f, 0), &r1, &r2);
    if (k == K_TST) {
        compare(f, sw, 0);
        return;
    }
    bool ok = commit_ok(f, sw);
    apply(f, sw, SW_CC);
    if (!ok && (k == K_SIN || k == K_COS || k == K_PTAN || k == K_SINCOS))
        f->fsw &= (uint16_t)~SW_C2;             /* not "out of range": C2 clear (as seen here) */
    if (!ok || k == K_TST || ((sw & SW_C2) && (k == K_SIN || k == K_COS || k == K_PTAN || k == K_SINCOS)))
        return;                                 /* C2: operand out of range, ST(0) unchanged */
    if (two) {
        st_set(f, 0, &r2);
        push(f, &r1);
    } else {
        st_set(f, 0, &r1);
    }
}

/* fxam: the class of ST(0) in C3,C2,C0 and its sign in C1 (SDM vol. 2, FXAM table). */
static void fxam(struct fpu *f)
{
    const union x87_reg *x = st(f, 0);
    unsigned e = x->r.sexp & 0x7fff;
    uint64_t m = x->r.mant;
    bool j = m >> 63;
    uint16_t cc;
    if (empty(f, 0))
        cc = SW_C3 | SW_C0;
    else if (e == 0x7fff)
        cc = !j ? 0 : (m << 1) ? SW_C0 : SW_C2 | SW_C0;           /* unsupported, NaN, infinity */
    else if (e == 0)
        cc = m ? SW_C3 | SW_C2 : SW_C3;                            /* denormal, zero */
    else
        cc = j ? SW_C2 : 0;                                        /* normal, unnormal */
    if (x->r.sexp & 0x8000)
        cc |= SW_C1;
    f->fsw = (uint16_t)((f->fsw & ~SW_CC) | cc);
}

/* fnstenv/fldenv: the protected-mode environment, 28 bytes (14 with a 16-bit operand size); the
 * reserved upper halves read as ones (as this host's fnstenv writes them). */
static uint16_t full_tags(const struct fpu *f)
{
    uint16_t t = 0;
    for (unsigned p = 0; p < 8; p++) {
        unsigned tag = ((f->ftw >> (2 * p)) & 3) == 3 ? 3 : x87_tag_of(&f->st[p]);
        t |= (uint16_t)(tag << (2 * p));
    }
    return t;
}

static void fnstenv(struct cpu *c, const struct insn *i)
{
    struct fpu *f = &c->fpu;
    uint8_t env[28];
    unsigned w = i->opsize == 2 ? 2 : 4, n = 7 * w;
    uint32_t v[7] = { 0xffff0000u | f->fcw, 0xffff0000u | x87_status_word(f), 0xffff0000u | full_tags(f),
                      (uint32_t)f->fip, (uint32_t)(f->fop & 0x7ff) << 16, (uint32_t)f->fdp, 0xffff0000u };
    if (w == 2)
        v[4] = 0;
    for (unsigned k = 0; k < 7; k++)
        memcpy(env + k * w, &v[k], w);
    mem_write_buf(c, i->seg, x87_ea(c, i), env, n);
    f->fcw |= 0x3f;                             /* fnstenv masks every exception */
}

static void fldenv(struct cpu *c, const struct insn *i)
{
    struct fpu *f = &c->fpu;
    uint8_t env[28];
    unsigned w = i->opsize == 2 ? 2 : 4;
    uint16_t fcw, fsw, ftw;
    mem_in(c, i, env, 7 * w);
    memcpy(&fcw, env, 2), memcpy(&fsw, env + w, 2), memcpy(&ftw, env + 2 * w, 2);
    f->fcw = x87_fcw_bits(fcw);
    f->top = (fsw >> 11) & 7;
    f->fsw = fsw & ~0x3800;
    f->ftw = 0;
    for (unsigned p = 0; p < 8; p++)
        set_tag(f, p, ((ftw >> (2 * p)) & 3) == 3 ? 3 : x87_tag_of(&f->st[p]));
}

/* fnsave/frstor: the environment, then ST(0)..ST(7) as 80-bit values; fnsave then does fninit. */
static void fnsave(struct cpu *c, const struct insn *i)
{
    struct fpu *f = &c->fpu;
    uint8_t regs[80];
    unsigned envsz = i->opsize == 2 ? 14 : 28;
    for (unsigned k = 0; k < 8; k++)
        memcpy(regs + 10 * k, st(f, k)->b, 10);
    uint64_t ea = x87_ea(c, i);
    mem_probe_write(c, i->seg, ea, envsz + 80);
    fnstenv(c, i);
    mem_write_buf(c, i->seg, (ea + envsz) & size_mask(i->addrsize), regs, 80);
    union x87_reg keep[8];
    memcpy(keep, f->st, sizeof(keep));
    x87_init(f);
    memcpy(f->st, keep, sizeof(keep));
}

static void frstor(struct cpu *c, const struct insn *i)
{
    struct fpu *f = &c->fpu;
    uint8_t regs[80];
    unsigned envsz = i->opsize == 2 ? 14 : 28;
    mem_read_buf(c, i->seg, (insn_ea(c, i) + envsz) & size_mask(i->addrsize), regs, 80);
    fldenv(c, i);
    for (unsigned k = 0; k < 8; k++) {
        union x87_reg *r = st(f, k);
        memset(r, 0, sizeof(*r));
        memcpy(r->b, regs + 10 * k, 10);
    }
    for (unsigned p = 0; p < 8; p++)       /* tags again, now from the new contents */
        if (((f->ftw >> (2 * p)) & 3) != 3)
            set_tag(f, p, x87_tag_of(&f->st[p]));
}

/* D8-DF with a memory operand. */
static void x87_mem(struct cpu *c, const struct insn *i, unsigned esc, unsigned ext)
{
    struct fpu *f = &c->fpu;
    static const uint8_t arith_type[8] = { [0] = M_F32, [2] = M_I32, [4] = M_F64, [6] = M_I16 };
    static const uint8_t arith_size[8] = { [0] = 4, [2] = 4, [4] = 8, [6] = 2 };
    uint8_t m[10];
    union x87_reg r;
    uint16_t sw;
    if (!(esc & 1)) {                           /* D8 DA DC DE: fadd .. fdivr with memory */
        mem_in(c, i, m, arith_size[esc]);
        sw = x87_host_memop(f->fcw, f->fsw, empty(f, 0) ? X_EMPTY0 : 0, ext, arith_type[esc], st(f, 0), m, &r);
        if (ext == 2 || ext == 3) {
            compare(f, sw, ext == 3);
            return;
        }
        bool ok = commit_ok(f, sw);
        apply(f, sw, SW_CC);
        if (ok)
            st_set(f, 0, &r);
        return;
    }
    switch (esc << 3 | ext) {
    case 0x08: mem_in(c, i, m, 4); sw = x87_host_load(f->fcw, f->fsw, full(f), M_F32, m, &r); load_push(f, sw, &r); return;
    case 0x0a: store(c, i, S_F32, 4, false); return;
    case 0x0b: store(c, i, S_F32, 4, true); return;
    case 0x0c: fldenv(c, i); return;
    case 0x0d: {                                /* fldcw */
        uint16_t cw;
        mem_in(c, i, &cw, 2);
        f->fcw = x87_fcw_bits(cw);
        if (f->fsw & ~cw & 0x3f)
            f->fsw |= SW_ES | SW_B;
        else
            f->fsw &= (uint16_t)~(SW_ES | SW_B);
        return;
    }
    case 0x0e: fnstenv(c, i); return;
    case 0x0f: mem_write(c, i->seg, insn_ea(c, i), 2, f->fcw); return;
    case 0x18: mem_in(c, i, m, 4); sw = x87_host_load(f->fcw, f->fsw, full(f), M_I32, m, &r); load_push(f, sw, &r); return;
    case 0x19: store(c, i, S_T32, 4, true); return;
    case 0x1a: store(c, i, S_I32, 4, false); return;
    case 0x1b: store(c, i, S_I32, 4, true); return;
    case 0x1d: mem_in(c, i, m, 10); sw = x87_host_load(f->fcw, f->fsw, full(f), M_F80, m, &r); load_push(f, sw, &r); return;
    case 0x1f: store(c, i, S_F80, 10, true); return;
    case 0x28: mem_in(c, i, m, 8); sw = x87_host_load(f->fcw, f->fsw, full(f), M_F64, m, &r); load_push(f, sw, &r); return;
    case 0x29: store(c, i, S_T64, 8, true); return;
    case 0x2a: store(c, i, S_F64, 8, false); return;
    case 0x2b: store(c, i, S_F64, 8, true); return;
    case 0x2c: frstor(c, i); return;
    case 0x2e: fnsave(c, i); return;
    case 0x2f: mem_write(c, i->seg, insn_ea(c, i), 2, x87_status_word(f)); return;
    case 0x38: mem_in(c, i, m, 2); sw = x87_host_load(f->fcw, f->fsw, full(f), M_I16, m, &r); load_push(f, sw, &r); return;
    case 0x39: store(c, i, S_T16, 2, true); return;
    case 0x3a: store(c, i, S_I16, 2, false); return;
    case 0x3b: store(c, i, S_I16, 2, true); return;
    case 0x3d: mem_in(c, i, m, 8); sw = x87_host_load(f->fcw, f->fsw, full(f), M_I64, m, &r); load_push(f, sw, &r); return;
    case 0x3c: mem_in(c, i, m, 10); sw = x87_host_load(f->fcw, f->fsw, full(f), M_BCD, m, &r); load_push(f, sw, &r); return;
    case 0x3e: store(c, i, S_BCD, 10, true); return;   /* fbstp: 18 digits, rounded by RC */
    case 0x3f: store(c, i, S_I64, 8, true); return;
    default: cpu_unimplemented(c, i);
    }
}

/* The DA/DB fcmovcc conditions as Jcc condition numbers: b e be u, nb ne nbe nu. */
static const uint8_t fcmov_cc[8] = { 2, 4, 6, 10, 3, 5, 7, 11 };

/* D8-DF with a register operand ST(i). */
static void x87_reg(struct cpu *c, const struct insn *i, unsigned esc, unsigned ext, unsigned n)
{
    struct fpu *f = &c->fpu;
    static const uint8_t d8_kind[8] = { K_ADD, K_MUL, 0, 0, K_SUB, K_SUBR, K_DIV, K_DIVR };
    static const uint8_t dc_kind[8] = { K_ADD, K_MUL, 0, 0, K_SUBR, K_SUB, K_DIVR, K_DIV };
    static const uint8_t consts[8] = { C_ONE, C_L2T, C_L2E, C_PI, C_LG2, C_LN2, C_ZERO, 0 };
    union x87_reg r;
    uint16_t sw;
    switch (esc) {
    case 0:
        if (ext == 2 || ext == 3)
            compare_regs(f, n, false, ext == 3);
        else
            arith_reg(f, d8_kind[ext], 0, n, false);
        return;
    case 4: case 6:
        if (ext == 2 || ext == 3) {             /* fcom/fcomp aliases; DE D9 is fcompp */
            if (esc == 6 && ext == 3 && n != 1)
                break;
            compare_regs(f, n, false, esc == 6 ? ext == 3 ? 2 : 1 : ext == 3);
            return;
        }
        arith_reg(f, dc_kind[ext], n, 0, esc == 6);
        return;
    case 1:
        if (ext == 0) {                         /* fld st(i) */
            if (empty(f, n)) {
                apply(f, UNDERFLOW, SW_C1);
                if (commit_ok(f, UNDERFLOW))
                    push(f, &indefinite);
            } else {
                sw = x87_host_load(f->fcw, f->fsw, full(f), M_F80, st(f, n)->b, &r);
                load_push(f, sw, &r);
            }
            return;
        }
        if (ext == 1) {                         /* fxch */
            union x87_reg a = empty(f, 0) ? indefinite : *st(f, 0), b = empty(f, n) ? indefinite : *st(f, n);
            sw = (empty(f, 0) || empty(f, n)) ? UNDERFLOW : 0;
            bool ok = commit_ok(f, sw);
            apply(f, sw, SW_C1);
            if (ok)
                st_set(f, 0, &b), st_set(f, n, &a);
            return;
        }
        switch (i->modrm) {
        case 0xd0: return;                      /* fnop */
        case 0xe0: case 0xe1:                   /* fchs, fabs */
            r = empty(f, 0) ? indefinite : *st(f, 0);
            sw = empty(f, 0) ? UNDERFLOW : 0;
            if (!empty(f, 0))
                r.r.sexp = n == 0 ? r.r.sexp ^ 0x8000 : r.r.sexp & 0x7fff;
            if (commit_ok(f, sw))
                st_set(f, 0, &r);
            apply(f, sw, SW_C1);
            return;
        case 0xe4: unary(f, K_TST); return;
        case 0xe5: fxam(f); return;
        case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
            sw = x87_host_const(f->fcw, f->fsw, full(f), consts[n], &r);
            load_push(f, sw, &r);
            return;
        case 0xf0: unary(f, K_F2XM1); return;
        case 0xf2: unary(f, K_PTAN); return;
        case 0xf4: unary(f, K_XTRACT); return;
        case 0xfa: unary(f, K_SQRT); return;
        case 0xfb: unary(f, K_SINCOS); return;
        case 0xfc: unary(f, K_RNDINT); return;
        case 0xfe: unary(f, K_SIN); return;
        case 0xff: unary(f, K_COS); return;
        case 0xf6: case 0xf7:                   /* fdecstp, fincstp */
            f->top = (f->top + (n == 7 ? 1 : 7)) & 7;
            f->fsw &= (uint16_t)~SW_C1;
            return;
        case 0xf1: case 0xf3: case 0xf5: case 0xf8: case 0xf9: case 0xfd: {
            unsigned k = i->modrm == 0xf1 ? K_YL2X : i->modrm == 0xf3 ? K_PATAN : i->modrm == 0xf5 ? K_PREM1
                       : i->modrm == 0xf8 ? K_PREM : i->modrm == 0xf9 ? K_YL2XP1 : K_SCALE;
            bool to_st1 = k == K_PATAN || k == K_YL2X || k == K_YL2XP1;
            r = indefinite;
            sw = x87_host_bin(f->fcw, f->fsw, faults2(f, 0, 1), k, st(f, 0), st(f, 1), &r);
            bool ok = commit_ok(f, sw);
            apply(f, sw, SW_CC);
            if (!ok && (k == K_PREM || k == K_PREM1))
                f->fsw &= (uint16_t)~SW_C2;     /* as for the trigonometric ones */
            if (ok) {
                st_set(f, to_st1 ? 1 : 0, &r);
                if (to_st1)
                    pop(f);
            }
            return;
        }
        default:
            break;
        }
        break;
    case 2: case 3:
        if (ext < 4) {                          /* fcmovcc */
            bool taken = cpu_cond(c, fcmov_cc[(esc - 2) * 4 + ext]);
            sw = (empty(f, 0) || empty(f, n)) ? UNDERFLOW : 0;
            bool ok = commit_ok(f, sw);
            apply(f, sw, sw ? SW_C1 : 0);       /* C1 changes only on underflow */
            if (ok && sw)
                st_set(f, 0, &indefinite);
            else if (ok && taken)
                r = *st(f, n), st_set(f, 0, &r);
            return;
        }
        if (esc == 2 && ext == 5 && n == 1) {   /* fucompp */
            compare_regs(f, 1, true, 2);
            return;
        }
        if (esc == 3 && ext == 4 && n == 2) {   /* fnclex */
            f->fsw &= (uint16_t)~0x80ff;
            return;
        }
        if (esc == 3 && ext == 4 && n == 3) {   /* fninit: the registers keep their contents */
            union x87_reg keep[8];
            memcpy(keep, f->st, sizeof(keep));
            x87_init(f);
            memcpy(f->st, keep, sizeof(keep));
            return;
        }
        if (esc == 3 && (ext == 5 || ext == 6)) {
            compare_eflags(c, f, n, ext == 5, 0);
            return;
        }
        break;
    case 5:
        switch (ext) {
        case 0:                                                 /* ffree (C1 cleared, as seen) */
            set_tag(f, phys(f, n), 3);
            f->fsw &= (uint16_t)~SW_C1;
            return;
        case 2: case 3:                                         /* fst/fstp st(i) */
            r = empty(f, 0) ? indefinite : *st(f, 0);
            sw = empty(f, 0) ? UNDERFLOW : 0;
            if (commit_ok(f, sw)) {
                st_set(f, n, &r);
                if (ext == 3)
                    pop(f);
            }
            apply(f, sw, SW_C1);
            return;
        case 4: case 5:                                         /* fucom, fucomp */
            compare_regs(f, n, true, ext == 5);
            return;
        default: break;
        }
        break;
    case 7:
        if (ext == 4 && n == 0) {                               /* fnstsw ax */
            c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffffull) | x87_status_word(f);
            return;
        }
        if (ext == 5 || ext == 6) {                             /* fucomip, fcomip */
            compare_eflags(c, f, n, ext == 5, 1);
            return;
        }
        break;
    default:
        break;
    }
    cpu_unimplemented(c, i);
}

/* Instructions that do not wait for a pending unmasked exception (SDM vol. 1, 8.3.11). */
static bool no_wait(unsigned esc, unsigned ext, bool mem, unsigned n)
{
    if (mem)
        return (esc == 1 && (ext == 6 || ext == 7)) || (esc == 5 && (ext == 6 || ext == 7));
    return (esc == 3 && ext == 4 && (n == 2 || n == 3)) || (esc == 7 && ext == 4 && n == 0);
}

OP(op_x87)
{
    struct fpu *f = &c->fpu;
    unsigned esc = i->op & 7, ext = (i->modrm >> 3) & 7, n = i->modrm & 7;
    bool mem = i->mod != 3;
    if (c->cr0 & (CR0_EM | CR0_TS))
        cpu_raise(c, EXC_NM, false, 0);
    if (!no_wait(esc, ext, mem, n)) {
        if ((f->fsw & SW_ES) && (c->cr0 & CR0_NE))
            cpu_raise(c, EXC_MF, false, 0);
        bool control = mem ? (esc == 1 && ext >= 4) || (esc == 5 && ext >= 4 && ext != 5) : (esc == 3 && ext == 4);
        if (!control) {
            f->fip = c->insn_rip;
            f->fop = (uint16_t)(esc << 8 | i->modrm);
        }
    }
    if (mem)
        x87_mem(c, i, esc, ext);
    else
        x87_reg(c, i, esc, ext, n);
}

OP(op_fwait)
{
    (void)i;
    if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_raise(c, EXC_NM, false, 0);
    if ((c->fpu.fsw & SW_ES) && (c->cr0 & CR0_NE))
        cpu_raise(c, EXC_MF, false, 0);
}
