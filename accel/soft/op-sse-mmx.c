/* MMX: the packed-integer instructions on mm0-mm7 (no mandatory prefix in 0F 60-7F, C4-C5, D1-FE,
 * and SSSE3's 0F38/0F3A forms), sharing the lane arithmetic of op-sse-int.c. The MMX registers are
 * the mantissas of the x87 registers R0-R7: every MMX instruction but emms sets TOP to 0 and tags
 * all eight valid, and a write sets the register's exponent field to all ones (SDM vol. 1, 9.5). */
#include "accel/soft/op-sse-util.h"

/* Availability and the x87 side of every MMX instruction (SDM vol. 3, table 12-1). */
static void mmx_enter(struct cpu *c)
{
    if (c->cr0 & CR0_EM)
        cpu_raise_ud(c);
    if (c->cr0 & CR0_TS)
        cpu_raise(c, EXC_NM, false, 0);
    if ((c->fpu.fsw & 0x80) && (c->cr0 & CR0_NE))
        cpu_raise(c, EXC_MF, false, 0);
    c->fpu.top = 0;
    c->fpu.ftw = 0;
}

/* Before a store: the checks of every MMX instruction. On Intel, TOP is 0 even if the store faults;
 * on AMD it stays as it was; on both the tags become valid only after the store (as seen on Intel
 * Xeon and AMD EPYC hosts; tests/isa/FINDINGS.md). mmx_store_done finishes after the store. */
static void mmx_enter_store(struct cpu *c)
{
    uint16_t ftw = c->fpu.ftw;
    unsigned top = c->fpu.top;
    mmx_enter(c);
    c->fpu.ftw = ftw;
    if (c->vendor == CPU_VENDOR_AMD)
        c->fpu.top = top;
}

static void mmx_store_done(struct cpu *c)
{
    c->fpu.top = 0;
    c->fpu.ftw = 0;
}

static uint64_t mm_get(const struct cpu *c, unsigned r)
{
    return c->fpu.st[r & 7].r.mant;
}

static void mm_set(struct cpu *c, unsigned r, uint64_t v)
{
    union x87_reg *x = &c->fpu.st[r & 7];
    memset(x, 0, sizeof(*x));
    x->r.mant = v;
    x->r.sexp = 0xffff;
}

/* The r/m operand: mm[rm] or 8 bytes of memory (read before anything changes). */
static uint64_t mm_src(struct cpu *c, const struct insn *i)
{
    return i->mod == 3 ? mm_get(c, i->rm) : mem_read(c, i->seg, insn_ea(c, i), 8);
}

static void mm_shift(union xmm_reg *x, unsigned width, unsigned kind, uint64_t count)
{
    unsigned n = 8 / width, bits = 8 * width;
    for (unsigned k = 0; k < n; k++) {
        uint64_t v = width == 2 ? x->w[k] : width == 4 ? x->d[k] : x->q[k];
        int64_t sv = width == 2 ? (int16_t)v : width == 4 ? (int32_t)v : (int64_t)v;
        uint64_t res = kind == 2 ? (count >= bits ? 0 : v >> count)
                     : kind == 4 ? (uint64_t)(sv >> (count >= bits ? bits - 1 : count))
                     : (count >= bits ? 0 : v << count);
        if (width == 2) x->w[k] = (uint16_t)res;
        else if (width == 4) x->d[k] = (uint32_t)res;
        else x->q[k] = res;
    }
}

static inline int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* SSSE3 on MMX registers (0F38 00-0B, 1C-1E; 0F3A 0F palignr). */
static bool mmx_ssse3(const struct insn *i, union xmm_reg *d, const union xmm_reg *s)
{
    unsigned op = i->op & 0xff;
    union xmm_reg r = *d;
    if ((i->op >> 8) == 3) {
        if (op != 0x0f)
            return false;
        uint8_t cat[16];
        unsigned imm = (unsigned)i->imm & 0xff;
        memcpy(cat, s->b, 8), memcpy(cat + 8, d->b, 8);
        for (unsigned k = 0; k < 8; k++)
            r.b[k] = k + imm < 16 ? cat[k + imm] : 0;
        *d = r;
        return true;
    }
    switch (op) {
    case 0x00: for (int k = 0; k < 8; k++) r.b[k] = (s->b[k] & 0x80) ? 0 : d->b[s->b[k] & 7]; break;
    case 0x01: case 0x02: case 0x03: case 0x05: case 0x06: case 0x07: {
        bool sub = op >= 5, sat = (op & 3) == 3;
        if ((op & 3) == 2) {
            r.d[0] = sub ? d->d[0] - d->d[1] : d->d[0] + d->d[1];
            r.d[1] = sub ? s->d[0] - s->d[1] : s->d[0] + s->d[1];
        } else {
            for (int k = 0; k < 4; k++) {
                const union xmm_reg *x = k < 2 ? d : s;
                int j = 2 * (k & 1);
                int32_t v = sub ? (int16_t)x->w[j] - (int16_t)x->w[j + 1] : (int16_t)x->w[j] + (int16_t)x->w[j + 1];
                r.w[k] = (uint16_t)(sat ? clamp(v, -32768, 32767) : v);
            }
        }
        break;
    }
    case 0x04:
        for (int k = 0; k < 4; k++)
            r.w[k] = (uint16_t)clamp((int32_t)d->b[2 * k] * (int8_t)s->b[2 * k] +
                                     (int32_t)d->b[2 * k + 1] * (int8_t)s->b[2 * k + 1], -32768, 32767);
        break;
    case 0x08: for (int k = 0; k < 8; k++) { int8_t a = (int8_t)d->b[k], b = (int8_t)s->b[k]; r.b[k] = (uint8_t)(b < 0 ? -a : b ? a : 0); } break;
    case 0x09: for (int k = 0; k < 4; k++) { int16_t a = (int16_t)d->w[k], b = (int16_t)s->w[k]; r.w[k] = (uint16_t)(b < 0 ? -a : b ? a : 0); } break;
    case 0x0a: for (int k = 0; k < 2; k++) { int32_t b = (int32_t)s->d[k]; r.d[k] = b < 0 ? -d->d[k] : b ? d->d[k] : 0; } break;
    case 0x0b: for (int k = 0; k < 4; k++) r.w[k] = (uint16_t)(((((int32_t)(int16_t)d->w[k] * (int16_t)s->w[k]) >> 14) + 1) >> 1); break;
    case 0x1c: for (int k = 0; k < 8; k++) { int8_t b = (int8_t)s->b[k]; r.b[k] = (uint8_t)(b < 0 ? -b : b); } break;
    case 0x1d: for (int k = 0; k < 4; k++) { int16_t b = (int16_t)s->w[k]; r.w[k] = (uint16_t)(b < 0 ? -b : b); } break;
    case 0x1e: for (int k = 0; k < 2; k++) { int32_t b = (int32_t)s->d[k]; r.d[k] = b < 0 ? -(uint32_t)b : (uint32_t)b; } break;
    default: return false;
    }
    *d = r;
    return true;
}

/* ---- moves and conversions between MMX and SSE registers (0F 2A, 2C, 2D without prefix or
 * with 66; 0F D6 with F3/F2) ----
 * Each runs as the host's XMM-to-XMM form of the same conversion (cvtdq2ps for cvtpi2ps, ...) on a
 * register whose other lanes are zero, which converts exactly and raises no flag: the host's MMX
 * registers are never touched, so its x87 state stays the compiler's. */
#define HOSTCVT(name, insn) \
    static void name(v4sf *d, const v4sf *s) { __asm__ volatile(insn " %1, %0" : "=x"(*d) : "x"(*s)); }
HOSTCVT(h_dq2ps, "cvtdq2ps") HOSTCVT(h_dq2pd, "cvtdq2pd") HOSTCVT(h_ps2dq, "cvtps2dq")
HOSTCVT(h_tps2dq, "cvttps2dq") HOSTCVT(h_pd2dq, "cvtpd2dq") HOSTCVT(h_tpd2dq, "cvttpd2dq")

bool mmx_cvt(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff;
    bool pd = i->pfx == PFX_66;
    if ((i->op >> 8) != 1)
        return false;
    if (op == 0xd6 && (i->pfx == PFX_F3 || i->pfx == PFX_F2)) {
        /* movq2dq xmm, mm (F3; the upper half zeroed) / movdq2q mm, xmm (F2): registers only. */
        if (i->mod != 3)
            cpu_raise_ud(c);
        mmx_enter(c);
        if (i->pfx == PFX_F3) {
            memset(&c->xmm[i->reg], 0, sizeof(c->xmm[i->reg]));
            c->xmm[i->reg].q[0] = mm_get(c, i->rm);
        } else {
            mm_set(c, i->reg, c->xmm[i->rm].q[0]);
        }
        return true;
    }
    if ((op != 0x2a && op != 0x2c && op != 0x2d) || (i->pfx != PFX_NP && !pd))
        return false;
    union xmm_reg s, r;
    v4sf vs, vr;
    void (*fn)(v4sf *, const v4sf *);
    memset(&s, 0, sizeof(s));
    if (op == 0x2a) {
        /* cvtpi2ps/pd xmm, mm/m64: only the register form is an MMX instruction (SDM vol. 2,
         * CVTPI2PS: "for operands xmm, m64 ... no transition to MMX technology"). */
        s.q[0] = mm_src(c, i);
        if (i->mod == 3)
            mmx_enter(c);
        fn = pd ? h_dq2pd : h_dq2ps;
    } else {
        /* cvt(t)ps2pi mm, xmm/m64; cvt(t)pd2pi mm, xmm/m128 (aligned). */
        if (i->mod == 3)
            s = c->xmm[i->rm];
        else
            mem_read_buf(c, i->seg, sse_ea(c, i, pd), &s, pd ? 16 : 8);
        if (!pd)
            s.q[1] = 0;
        mmx_enter(c);
        fn = op == 0x2c ? (pd ? h_tpd2dq : h_tps2dq) : (pd ? h_pd2dq : h_ps2dq);
    }
    memcpy(&vs, &s, 16);
    uint32_t host = fp_enter(c);
    fn(&vr, &vs);
    fp_leave(c, host);
    memcpy(&r, &vr, 16);
    if (op == 0x2a && pd)
        c->xmm[i->reg] = r;
    else if (op == 0x2a)
        c->xmm[i->reg].q[0] = r.q[0];       /* the upper half is kept */
    else
        mm_set(c, i->reg, r.q[0]);
    return true;
}

/* Is (map, op) without a mandatory prefix an MMX form? */
static bool is_mmx(unsigned map, unsigned op)
{
    if (map == 3)
        return op == 0x0f;
    if (map == 2)
        return op <= 0x0b || (op >= 0x1c && op <= 0x1e);
    return (op >= 0x60 && op <= 0x6b) || (op >= 0x6e && op <= 0x76) || op == 0x7e || op == 0x7f ||
           op == 0xc4 || op == 0xc5 || (op >= 0xd1 && op <= 0xfe && op != 0xd6 && op != 0xe6 && op != 0xf0);
}

/* Sources are read first (a faulting load leaves the x87 state alone), then the x87 side happens,
 * then results are written (a faulting store finds TOP already 0: both as seen on this host). */
bool mmx_op(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff, map = i->op >> 8;
    union xmm_reg d, s, r;
    bool q = (i->rex & 8) != 0;
    if (i->pfx != PFX_NP || !is_mmx(map, op))
        return false;
    memset(&d, 0, sizeof(d)), memset(&s, 0, sizeof(s));
    if (map == 2 || map == 3) {
        s.q[0] = mm_src(c, i);
        mmx_enter(c);
        d.q[0] = mm_get(c, i->reg);
        mmx_ssse3(i, &d, &s);
        mm_set(c, i->reg, d.q[0]);
        return true;
    }
    switch (op) {
    case 0x6e: {                                    /* movd/movq mm, Ey */
        uint64_t v = rm_read(c, i, q ? 8 : 4);
        mmx_enter(c);
        mm_set(c, i->reg, v);
        return true;
    }
    case 0x7e:                                      /* movd/movq Ey, mm */
        mmx_enter_store(c);
        rm_write(c, i, q ? 8 : 4, q ? mm_get(c, i->reg) : (uint32_t)mm_get(c, i->reg));
        mmx_store_done(c);
        return true;
    case 0x6f: {                                    /* movq mm, mm/m64 */
        uint64_t v = mm_src(c, i);
        mmx_enter(c);
        mm_set(c, i->reg, v);
        return true;
    }
    case 0x7f: case 0xe7:                           /* movq mm/m64, mm; movntq m64, mm */
        if (op == 0xe7 && i->mod == 3)
            cpu_raise_ud(c);
        mmx_enter_store(c);
        if (i->mod == 3)
            mm_set(c, i->rm, mm_get(c, i->reg));
        else
            mem_write(c, i->seg, insn_ea(c, i), 8, mm_get(c, i->reg));
        mmx_store_done(c);
        return true;
    case 0x70: {                                    /* pshufw mm, mm/m64, imm8 */
        s.q[0] = mm_src(c, i);
        mmx_enter(c);
        for (int k = 0; k < 4; k++)
            r.w[k] = s.w[(i->imm >> (2 * k)) & 3];
        mm_set(c, i->reg, r.q[0]);
        return true;
    }
    case 0x71: case 0x72: case 0x73: {              /* shifts by imm8 */
        unsigned sub = (i->modrm >> 3) & 7, width = op == 0x71 ? 2 : op == 0x72 ? 4 : 8;
        if (i->mod != 3 || (sub != 2 && sub != 4 && sub != 6) || (width == 8 && sub == 4))
            cpu_raise_ud(c);
        mmx_enter(c);
        d.q[0] = mm_get(c, i->rm);
        mm_shift(&d, width, sub, i->imm & 0xff);
        mm_set(c, i->rm, d.q[0]);
        return true;
    }
    case 0xc4: {                                    /* pinsrw mm, r32/m16, imm8 */
        uint16_t v = (uint16_t)rm_read(c, i, 2);
        mmx_enter(c);
        d.q[0] = mm_get(c, i->reg);
        d.w[i->imm & 3] = v;
        mm_set(c, i->reg, d.q[0]);
        return true;
    }
    case 0xc5:                                      /* pextrw r32, mm, imm8 */
        if (i->mod != 3)
            cpu_raise_ud(c);
        mmx_enter(c);
        d.q[0] = mm_get(c, i->rm);
        c->gpr[i->reg] = d.w[i->imm & 3];
        return true;
    case 0xd7: {                                    /* pmovmskb r32, mm */
        if (i->mod != 3)
            cpu_raise_ud(c);
        mmx_enter(c);
        d.q[0] = mm_get(c, i->rm);
        uint64_t m = 0;
        for (int k = 0; k < 8; k++)
            m |= (uint64_t)(d.b[k] >> 7) << k;
        c->gpr[i->reg] = m;
        return true;
    }
    case 0xf7: {                                    /* maskmovq mm, mm: bytes to DS:rDI */
        if (i->mod != 3)
            cpu_raise_ud(c);
        uint64_t base = c->gpr[R_RDI] & size_mask(i->addrsize);
        int seg = i->seg_override ? i->seg : SEG_DS;
        d.q[0] = mm_get(c, i->reg), s.q[0] = mm_get(c, i->rm);
        mmx_enter_store(c);
        for (int k = 0; k < 8; k++)
            if (s.b[k] & 0x80)
                mem_write(c, seg, (base + (uint64_t)k) & size_mask(i->addrsize), 1, d.b[k]);
        mmx_store_done(c);
        return true;
    }
    default:
        break;
    }
    if (op <= 0x62 && i->mod != 3)              /* punpckl*: the memory operand is m32 */
        s.q[0] = mem_read(c, i->seg, insn_ea(c, i), 4);
    else
        s.q[0] = mm_src(c, i);
    mmx_enter(c);
    d.q[0] = mm_get(c, i->reg);
    if (!int_lanes(op, &r, &d, &s, 8))
        return false;
    mm_set(c, i->reg, r.q[0]);
    return true;
}
