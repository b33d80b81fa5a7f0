/* Snippet generator: encodes one instruction form with random prefixes, registers, addressing mode
 * and immediates, then sets up the registers and memory the instruction needs so that it runs
 * (memory operands land in the data region, divisions mostly do not overflow, returns land on the
 * snippet's end) — Intel SDM vol. 2, chapter 2 (instruction format) is the reference. */
#include <string.h>

#include "tests/isa/isa.h"
#include "tests/isa/gen.h"

enum { P_REL8, P_REL32, P_REG, P_DATA64 };

struct patch { int kind, at, end; };

struct gen {
    struct isa_rng *r;
    struct snippet *s;
    int npatch;
    struct patch patch[8];      /* set to stop_rip once the length is known */
};

/* Where the r/m operand of the instruction just encoded lives. */
struct opnd {
    bool mem;
    int reg;                /* with !mem: register number (byte register encoding with legacy8) */
    bool legacy8;           /* 8-bit operand without REX: 4..7 are ah, ch, dh, bh */
    uint32_t off;           /* with mem: offset in the data region */
    int size;               /* bytes */
};

static void put(struct gen *g, const void *p, int n)
{
    if (g->s->len + n <= ISA_MAX_CODE - 16) {
        memcpy(g->s->code + g->s->len, p, (size_t)n);
    }
    g->s->len += n;
}

static void put8(struct gen *g, uint8_t b) { put(g, &b, 1); }

static void add_patch(struct gen *g, int kind, int at, int end)
{
    if (g->npatch < 8)
        g->patch[g->npatch++] = (struct patch){ kind, at, end };
}

static void wr(struct snippet *s, uint32_t off, uint64_t v, int n)
{
    for (int i = 0; i < n && off + i < ISA_DATA_SIZE; i++)
        s->data[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rd(const struct snippet *s, uint32_t off, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n && off + i < ISA_DATA_SIZE; i++)
        v |= (uint64_t)s->data[off + i] << (8 * i);
    return v;
}

/* The r/m operand's value and a way to set it (operand size n bytes). */
static uint64_t opnd_get(const struct snippet *s, const struct opnd *o)
{
    uint64_t mask = o->size == 8 ? ~0ull : (1ull << (8 * o->size)) - 1;
    if (o->mem)
        return rd(s, o->off, o->size);
    if (o->legacy8 && o->reg >= 4)
        return (s->init.gpr[o->reg - 4] >> 8) & 0xff;
    return s->init.gpr[o->reg] & mask;
}

static void opnd_set(struct snippet *s, const struct opnd *o, uint64_t v)
{
    uint64_t mask = o->size == 8 ? ~0ull : (1ull << (8 * o->size)) - 1;
    if (o->mem)
        wr(s, o->off, v, o->size);
    else if (o->legacy8 && o->reg >= 4)
        s->init.gpr[o->reg - 4] = (s->init.gpr[o->reg - 4] & ~0xff00ull) | ((v & 0xff) << 8);
    else
        s->init.gpr[o->reg] = (s->init.gpr[o->reg] & ~mask) | (v & mask);
}

static void set_part(struct snippet *s, int reg, uint64_t v, int size)
{
    struct opnd o = { .reg = reg, .size = size };
    opnd_set(s, &o, v);
}

/* A data offset for an operand of n bytes: mostly well inside, sometimes straddling the page
 * boundary in the middle, sometimes running off the end (#PF). */
static uint32_t pick_target(struct isa_rng *r, int n, bool align)
{
    unsigned k = rng_below(r, 100);
    uint32_t off;
    if (k < 3 && n > 1)
        off = ISA_DATA_SIZE - (uint32_t)n + 1 + rng_below(r, (uint32_t)n);
    else if (k < 15)
        off = 4096 - rng_below(r, (uint32_t)n + 1);
    else
        off = 64 + rng_below(r, ISA_DATA_SIZE - 128 - (uint32_t)n);
    if (align && rng_below(r, 10))
        off &= ~15u;
    return off;
}

static int pick_reg(struct isa_rng *r, uint16_t avoid)
{
    for (;;) {
        int x = (int)rng_below(r, 16);
        if (!(avoid & (1u << x)))
            return x;
    }
}

/* Registers the instruction reads or writes implicitly: the addressing registers stay off them. */
static uint16_t implicit_regs(const struct isa_form *f, int modrm_reg)
{
    switch (f->fix) {
    case FX_DIV: case FX_IDIV: return 1u << 0 | 1u << 2;
    case FX_SHIFT: case FX_ROT: case FX_SHXD: return 1u << 1;
    case FX_BTMEM: return (uint16_t)(1u << modrm_reg);
    case FX_CX16: return 0xf;
    default: break;
    }
    if (f->map == 1 && (f->op == 0xb0 || f->op == 0xb1))   /* cmpxchg */
        return 1u << 0;
    return 0;
}

struct modrm_enc {
    uint8_t modrm, sib;
    bool has_sib, riprel;
    int dsize;
    int64_t disp;
    uint8_t rex_x, rex_b;
};

/* Chooses an addressing mode reaching data offset `off` and sets its registers (Intel SDM vol. 2,
 * 2.1.5 tables 2-2 and 2-3, 2.2.1.6 RIP-relative). */
static void gen_mem(struct gen *g, uint32_t off, uint16_t avoid, bool a32, struct modrm_enc *e)
{
    struct isa_rng *r = g->r;
    uint64_t *gpr = g->s->init.gpr;
    uint64_t t = ISA_DATA_BASE + off;
    unsigned kind = rng_below(r, 10);
    memset(e, 0, sizeof(*e));
    if (kind == 7) {                                    /* [rip + disp32], patched at the end */
        e->modrm = 5, e->riprel = true, e->dsize = 4, e->disp = (int64_t)t;
        return;
    }
    if (kind == 8 || kind == 9) {                       /* no base: [index*s + disp32] or [disp32] */
        int idx = kind == 9 ? 4 : pick_reg(r, avoid | 1u << 4);
        int sc = (int)rng_below(r, 4);
        int64_t iv = kind == 9 ? 0 : (int64_t)rng_below(r, 80) - 16;
        e->modrm = 4, e->has_sib = true, e->dsize = 4;
        e->sib = (uint8_t)(sc << 6 | (idx & 7) << 3 | 5);
        e->rex_x = idx >= 8;
        e->disp = (int64_t)t - iv * (1 << sc);
        if (kind == 8)
            gpr[idx] = (uint64_t)iv ^ (a32 ? rng_next(r) << 32 : 0);
        return;
    }
    int base = pick_reg(r, avoid & ~(1u << 4));
    bool sib = kind == 4 || kind == 5 || kind == 6 || (base & 7) == 4;
    int idx = (kind == 4 || kind == 5) ? pick_reg(r, avoid | 1u << 4) : 4;
    int sc = idx == 4 ? (int)rng_below(r, 4) : (int)rng_below(r, 4);
    int dsize = kind == 0 ? 0 : kind == 3 ? 4 : (int)(rng_below(r, 3) == 0 ? 4 : 1);
    int64_t disp = dsize == 1 ? (int64_t)rng_below(r, 256) - 128
                 : dsize == 4 ? (rng_below(r, 4) ? (int64_t)rng_below(r, 8192) - 4096
                                                 : (int64_t)(int32_t)rng_next(r)) : 0;
    int64_t mul = idx == 4 ? 0 : 1 << sc;
    if (base == 4) {                                    /* rsp is fixed: solve for disp and index */
        int64_t need = (int64_t)t - (int64_t)gpr[4];
        int64_t iv = mul ? (int64_t)rng_below(r, 16) - 4 : 0;
        disp = need - iv * mul;
        if (idx != 4)
            gpr[idx] = (uint64_t)iv;
    } else if (idx == base) {                           /* [r + r*s]: v*(1+s) + disp = t */
        int64_t v = ((int64_t)t - disp) / (1 + mul);
        disp = (int64_t)t - v * (1 + mul);
        gpr[base] = (uint64_t)v;
    } else {
        int64_t iv = mul ? (int64_t)rng_below(r, 80) - 16 : 0;
        if (idx != 4)
            gpr[idx] = (uint64_t)iv;
        gpr[base] = t - (uint64_t)(iv * mul) - (uint64_t)disp;
    }
    if (dsize == 0 && (disp != 0 || (base & 7) == 5))
        dsize = 1;
    if (dsize == 1 && (disp < -128 || disp > 127))
        dsize = 4;
    if (a32) {                      /* 67h: only the low 32 bits take part */
        if (base != 4)
            gpr[base] ^= rng_next(r) << 32;
        if (idx != 4 && idx != base)
            gpr[idx] ^= rng_next(r) << 32;
    }
    e->dsize = dsize, e->disp = disp;
    e->rex_b = base >= 8;
    int mod = dsize == 0 ? 0 : dsize == 1 ? 1 : 2;
    if (sib) {
        e->has_sib = true;
        e->modrm = (uint8_t)(mod << 6 | 4);
        e->sib = (uint8_t)(sc << 6 | (idx & 7) << 3 | (base & 7));
        e->rex_x = idx >= 8;
    } else {
        e->modrm = (uint8_t)(mod << 6 | (base & 7));
    }
}

static int pick_size(struct isa_rng *r, const struct isa_form *f)
{
    int opts[4], n = 0;
    if (f->sizes & S8) opts[n++] = 1;
    if (f->sizes & S16) opts[n++] = 2;
    if (f->sizes & S32) opts[n++] = 4;
    if (f->sizes & S64) opts[n++] = 8;
    return n ? opts[rng_below(r, (uint32_t)n)] : 4;
}

/* Shift and rotate counts: 0, 1, the operand width and around it, and anything. */
static unsigned pick_count(struct isa_rng *r, int size)
{
    switch (rng_below(r, 8)) {
    case 0: return 0;
    case 1: case 2: return 1;
    case 3: return (unsigned)(8 * size) - 1 + rng_below(r, 3);
    case 4: return rng_below(r, 256);
    default: return 2 + rng_below(r, 7);
    }
}

/* RFLAGS bits the count leaves undefined (SDM vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD). */
static uint32_t count_undef(uint32_t rule, unsigned count, int size)
{
    unsigned c = count & (size == 8 ? 63u : 31u);
    uint32_t u = 0;
    if (c == 0)
        return 0;
    if (rule & U_SHIFT) {
        u |= FL_AF;
        if (c >= (unsigned)(8 * size))
            u |= FL_CF | FL_OF;
    }
    if (c > 1)
        u |= FL_OF;
    return u;
}

static uint8_t legacy_seg(struct isa_rng *r)
{
    static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };   /* ignored in 64-bit mode */
    return segs[rng_below(r, 4)];
}

static void fix_string(struct gen *g, const struct isa_form *f, int size, bool rep, bool a32)
{
    struct isa_rng *r = g->r;
    struct snippet *s = g->s;
    uint64_t *gpr = s->init.gpr;
    uint32_t cnt = rep ? (rng_below(r, 8) ? rng_below(r, 24) : 0) : rng_below(r, 4);
    uint32_t src = 1024 + rng_below(r, 5000), dst = 1024 + rng_below(r, 5000);
    gpr[6] = ISA_DATA_BASE + src;
    gpr[7] = ISA_DATA_BASE + dst;
    if (rep)
        gpr[1] = cnt;
    if (a32) {
        gpr[6] ^= rng_next(r) << 32;
        gpr[7] ^= rng_next(r) << 32;
        if (rep)
            gpr[1] ^= rng_next(r) << 32;
    }
    bool down = s->init.rflags & FL_DF;
    uint32_t span = (cnt + 1) * (uint32_t)size;
    uint32_t s0 = down ? src + (uint32_t)size - span : src, d0 = down ? dst + (uint32_t)size - span : dst;
    uint8_t op = f->op;
    if ((op == 0xa6 || op == 0xa7) && rng_below(r, 2)) {       /* cmps: mostly equal strings */
        memmove(s->data + d0, s->data + s0, span);
        if (rng_below(r, 2))
            s->data[d0 + rng_below(r, span)] ^= 1;
    } else if ((op == 0xae || op == 0xaf) && rng_below(r, 2)) { /* scas: a run of the value */
        for (uint32_t i = 0; i + (uint32_t)size <= span; i += (uint32_t)size)
            wr(s, d0 + i, gpr[0], size);
        if (rng_below(r, 2))
            s->data[d0 + rng_below(r, span)] ^= 0x80;
    }
}

/* Sets up what the instruction needs besides its addressing (after the r/m operand is known). */
static void fix_operands(struct gen *g, const struct isa_form *f, const struct opnd *rm, int reg,
                         int size, int end)
{
    struct isa_rng *r = g->r;
    struct snippet *s = g->s;
    uint64_t *gpr = s->init.gpr;
    uint32_t sp = (uint32_t)(gpr[4] - ISA_DATA_BASE);
    switch (f->fix) {
    case FX_DIV: case FX_IDIV: {
        if (rng_below(r, 12) == 0)
            break;                                  /* as generated: #DE likely */
        uint64_t d = rng_value(r);
        if (rng_below(r, 30) && (d & (size == 8 ? ~0ull : (1ull << 8 * size) - 1)) == 0)
            d = 3;
        opnd_set(s, rm, d);
        d = opnd_get(s, rm);
        int hreg = size == 1 ? 0 : 2;
        if (f->fix == FX_DIV) {
            uint64_t hi = d ? rng_next(r) % d : 0;
            if (size == 1)
                gpr[0] = (gpr[0] & ~0xff00ull) | (hi & 0xff) << 8;
            else
                set_part(s, hreg, hi, size);
        } else {
            uint64_t lo = rng_value(r);
            int bits = 8 * size;
            uint64_t sign = (lo >> (bits - 1)) & 1 ? ~0ull : 0;
            if (size == 1)
                gpr[0] = (gpr[0] & ~0xffffull) | (lo & 0xff) | (sign & 0xff) << 8;
            else {
                set_part(s, 0, lo, size);
                set_part(s, 2, sign, size);
            }
        }
        break;
    }
    case FX_BTMEM:
        if (rm->mem)
            set_part(s, reg, (uint64_t)((int64_t)rng_below(r, 320) - 64), size);
        break;
    case FX_CX16:
        if (rng_below(r, 2)) {
            int n = size == 8 ? 8 : 4;
            set_part(s, 0, rd(s, rm->off, n), n);
            set_part(s, 2, rd(s, rm->off + (uint32_t)n, n), n);
        }
        break;
    case FX_RET:
        add_patch(g, P_DATA64, (int)sp, 0);
        break;
    case FX_CALLIND:
        if (rm->mem)
            add_patch(g, P_DATA64, (int)rm->off, 0);
        else
            add_patch(g, P_REG, rm->reg, 0);
        break;
    case FX_POPF:
        wr(s, sp, (rng_next(r) & FL_ALL) | 2, size);
        break;
    case FX_LEAVE: case FX_ENTER:
        gpr[5] = ISA_DATA_BASE + 2048 + 8 * rng_below(r, 400);
        break;
    case FX_XLAT:
        gpr[3] = ISA_DATA_BASE + 512 + rng_below(r, 4096) - (gpr[0] & 0xff);
        break;
    case FX_FXRSTOR: {
        uint8_t img[512];
        struct flat_state st;
        memset(img, 0, sizeof(img));
        gen_x87(r, &st);
        uint32_t mx = rng_below(r, 12) ? gen_mxcsr(r) : (uint32_t)rng_next(r) | 0x0c00;
        memcpy(img, &st.fcw, 2);
        memcpy(img + 2, &st.fsw, 2);
        img[4] = st.ftw;
        memcpy(img + 24, &mx, 4);
        for (int i = 0; i < 8; i++)
            memcpy(img + 32 + 16 * i, st.st[i], 10);
        for (int i = 0; i < 16; i++)
            gen_xmm(r, img + 160 + 16 * i);
        for (int i = 0; i < 512 && rm->off + i < ISA_DATA_SIZE; i++)
            s->data[rm->off + i] = img[i];
        break;
    }
    case FX_FXSAVE:         /* FOP, FIP, FDP: where the last x87 instruction was, not compared */
        s->skip_off = (uint16_t)(rm->off + 6), s->skip_len = 18;
        break;
    case FX_FNSTENV:        /* FIP, FCS/FOP, FDP, FDS */
        s->skip_off = (uint16_t)(rm->off + 12), s->skip_len = 16;
        break;
    case FX_LDMXCSR:                /* overflow and underflow stay masked: FINDINGS.md, Limits */
        if (rng_below(r, 12))
            wr(s, rm->off, gen_mxcsr(r), 4);
        else
            wr(s, rm->off, rd(s, rm->off, 4) | 0x0c00, 4);
        break;
    case FX_FLDCW:
        if (rng_below(r, 8))
            wr(s, rm->off, gen_fcw(r), 2);
        break;
    case FX_BCD:            /* fbld: mostly valid packed BCD (18 digits and a sign byte) */
        if (rng_below(r, 8)) {
            for (int i = 0; i < 9; i++)
                wr(s, rm->off + (uint32_t)i, (uint32_t)(rng_below(r, 10) | rng_below(r, 10) << 4), 1);
            wr(s, rm->off + 9, rng_below(r, 2) ? 0x80 : 0, 1);
        }
        break;
    case FX_FLDENV: {
        struct flat_state st;
        gen_x87(r, &st);
        wr(s, rm->off, st.fcw, 4);
        wr(s, rm->off + 4, st.fsw & ~0x80u, 4);
        wr(s, rm->off + 8, rng_next(r) & 0xffff, 4);
        break;
    }
    default:
        break;
    }
    if (f->map == 1 && (f->op == 0xb0 || f->op == 0xb1) && rng_below(r, 2))    /* cmpxchg: equal */
        set_part(s, 0, opnd_get(s, rm), size);
    if (f->cls == CLS_X87 && rm->mem && (f->enc & E_FPMEM) && rng_below(r, 4)) {
        uint8_t v[10];
        if (f->memsize == 4) {
            float x = gen_float(r);
            memcpy(v, &x, 4);
        } else if (f->memsize == 8) {
            double x = gen_double(r);
            memcpy(v, &x, 8);
        } else {
            gen_st(r, v);
        }
        for (int i = 0; i < f->memsize && i < 10 && rm->off + i < ISA_DATA_SIZE; i++)
            s->data[rm->off + i] = v[i];
    }
    if (f->cls == CLS_SSE && f->fix == FX_NONE && rm->mem && rng_below(r, 3)) {
        uint8_t x[16];
        gen_xmm(r, x);
        int n = f->memsize ? f->memsize : 16;
        for (int i = 0; i < n && rm->off + i < ISA_DATA_SIZE; i++)
            s->data[rm->off + i] = x[i];
    }
    (void)end;
}

/* Encodes form f at the end of the snippet; returns false when it did not fit. */
static bool emit(struct gen *g, const struct isa_form *f, bool allow_mem)
{
    struct isa_rng *r = g->r;
    struct snippet *s = g->s;
    int size = pick_size(r, f);
    bool has_modrm = f->enc & E_MODRM;
    bool fixed = f->enc & E_FIXED;
    bool can_mem = has_modrm && !fixed && (f->enc & E_MEM) && allow_mem;
    bool can_reg = has_modrm && !fixed && (f->enc & E_REG);
    bool mem = can_mem && (!can_reg || rng_below(r, 2));
    bool x87 = f->cls == CLS_X87;
    bool a32 = (mem || f->fix == FX_STRING || f->imm == I_MOFFS) && rng_below(r, 16) == 0;
    bool rep = (f->enc & E_REP) && rng_below(r, 3);
    int reg = f->ext >= 0 ? f->ext : (int)rng_below(r, (f->enc & E_MREG) ? 8 : (f->enc & E_XREG) || !x87 ? 16 : 8);
    int rmreg = 0;
    struct modrm_enc e = { 0 };
    struct opnd rm = { .mem = mem, .size = f->memsize ? f->memsize : size };
    uint8_t rex = 0;

    if (f->fix == FX_BRANCH && (f->op & 0xfc) == 0xe0)        /* loop/jrcxz count */
        s->init.gpr[1] = rng_below(r, 3) ? rng_below(r, 3) : rng_value(r);
    if (f->fix == FX_CALLIND || f->fix == FX_RET || f->fix == FX_BRANCH)
        size = 8;
    if (has_modrm && !fixed && !mem)
        rmreg = (f->enc & E_MRM) ? (int)rng_below(r, 8) : (f->enc & E_XRM) || !x87 ? (int)rng_below(r, 16) : (int)rng_below(r, 8);
    if (f->fix == FX_CALLIND && !mem && rmreg == 4)
        rmreg = 0;
    if (mem) {
        bool align = (f->enc & E_ALIGN) || f->fix == FX_CX16 || f->fix == FX_FXSAVE || f->fix == FX_FXRSTOR;
        rm.off = pick_target(r, rm.size, align);
        gen_mem(g, rm.off, implicit_regs(f, reg), a32, &e);
    } else if (has_modrm && !fixed) {
        e = (struct modrm_enc){ .modrm = (uint8_t)(0xc0 | (rmreg & 7)), .rex_b = rmreg >= 8 && !x87 };
        rm.reg = rmreg;
    }

    /* prefixes, then REX (it must come last, SDM 2.2.1). Now and then the decoder gets harder
     * cases: a REX followed by legacy prefixes (ignored, SDM 2.2.1), or a run of redundant segment
     * prefixes, which may push the instruction past 15 bytes (#GP). */
    int pad = rng_below(r, 50) == 0 ? 1 + (int)rng_below(r, 14) : 0;
    if (rng_below(r, 50) == 0) {
        put8(g, (uint8_t)(0x40 | rng_below(r, 16)));
        put8(g, legacy_seg(r));
    }
    while (pad-- > 0)
        put8(g, legacy_seg(r));
    if (mem && (f->enc & E_LOCK) && rng_below(r, 2))
        put8(g, 0xf0);
    if (!x87 && rng_below(r, 32) == 0)
        put8(g, legacy_seg(r));
    if (a32)
        put8(g, 0x67);
    if (size == 2 && f->sizes != 0)
        put8(g, 0x66);
    if (rep)
        put8(g, (f->op == 0xa6 || f->op == 0xa7 || f->op == 0xae || f->op == 0xaf) && rng_below(r, 2)
                 ? 0xf2 : 0xf3);
    if (f->pfx)
        put8(g, f->pfx);
    if (size == 8 && !(f->enc & E_DEF64) && !(f->enc & E_NOW) && f->sizes)
        rex |= 0x48;
    if ((f->enc & E_W) && rng_below(r, 2))
        rex |= 0x48;
    if (f->cls == CLS_SSE && !(f->enc & E_W) && f->fix == FX_NONE && rng_below(r, 10) == 0)
        rex |= 0x48;                    /* ignored by these forms: the decoder must ignore it too */
    if (f->enc & E_DEF64 && size == 8 && rng_below(r, 4) == 0)
        rex |= 0x48;
    int opreg = 0;
    if (f->enc & E_OPREG) {
        opreg = (int)rng_below(r, 16);
        if (f->map == 0 && f->op == 0x90)   /* 90 without REX.B is nop, not xchg */
            opreg = 1 + (int)rng_below(r, 15);
        if (opreg >= 8)
            rex |= 0x41;
    }
    if (has_modrm && !fixed) {
        if (reg >= 8 && f->ext < 0 && !x87)
            rex |= 0x44;
        if (e.rex_x)
            rex |= 0x42;
        if (e.rex_b)
            rex |= 0x41;
    }
    bool byte_rex = (f->enc & E_BYTE) && !rex && rng_below(r, 2);
    if (byte_rex || (!x87 && !fixed && !rex && rng_below(r, 16) == 0))
        rex = 0x40;
    if (rex)
        put8(g, rex);
    rm.legacy8 = !rex && rm.size == 1;
    if (f->map >= 1)
        put8(g, 0x0f);
    if (f->map == 2)
        put8(g, 0x38);
    if (f->map == 3)
        put8(g, 0x3a);
    put8(g, (uint8_t)(f->op + (opreg & 7)));
    if (fixed) {
        put8(g, f->modrm);
    } else if (has_modrm) {
        put8(g, (uint8_t)(e.modrm | (reg & 7) << 3));
        if (e.has_sib)
            put8(g, e.sib);
        int dat = s->len;
        if (e.dsize == 1)
            put8(g, (uint8_t)e.disp);
        else if (e.dsize == 4)
            put(g, &(int32_t){ (int32_t)e.disp }, 4);
        if (e.riprel)
            add_patch(g, -1, dat, 0);   /* filled below when the immediate's length is known */
    }

    /* immediates */
    unsigned count = 1;
    uint64_t imm = rng_value(r);
    switch (f->imm) {
    case I_B:
        if (f->fix == FX_SHIFT || f->fix == FX_ROT || f->fix == FX_SHXD) {
            count = pick_count(r, size);
            if (f->fix == FX_SHXD && size == 2)
                count %= 17;
            imm = count;
        }
        put8(g, (uint8_t)imm);
        break;
    case I_W: put(g, &imm, 2); break;
    case I_Z: put(g, &imm, size == 2 ? 2 : 4); break;
    case I_V: put(g, &imm, size); break;
    case I_REL8: add_patch(g, P_REL8, s->len, s->len + 1); put8(g, 0); break;
    case I_REL32: add_patch(g, P_REL32, s->len, s->len + 4); put(g, &(uint32_t){ 0 }, 4); break;
    case I_MOFFS: {
        uint64_t a = ISA_DATA_BASE + pick_target(r, size, false);
        put(g, &a, a32 ? 4 : 8);
        break;
    }
    case I_ENTER: {
        uint16_t fs = (uint16_t)(rng_below(r, 2) ? 8 * rng_below(r, 16) : rng_below(r, 0x200));
        uint8_t lvl = (uint8_t)(rng_below(r, 4) ? rng_below(r, 3) : rng_below(r, 32));
        put(g, &fs, 2);
        put8(g, lvl);
        break;
    }
    default: break;
    }
    if (has_modrm && e.riprel)          /* disp32 = target - address of the next instruction */
        for (int i = 0; i < g->npatch; i++)
            if (g->patch[i].kind == -1) {
                int32_t d = (int32_t)((int64_t)e.disp - (int64_t)(s->start + (uint64_t)s->len));
                if (g->patch[i].at + 4 <= ISA_MAX_CODE)
                    memcpy(s->code + g->patch[i].at, &d, 4);
                g->patch[i].kind = -2;
            }
    if ((f->fix == FX_SHIFT || f->fix == FX_ROT || f->fix == FX_SHXD) && f->imm != I_B) {
        if ((f->op & 0xfe) == 0xd0)
            count = 1;
        else {
            count = pick_count(r, size);
            if (f->fix == FX_SHXD && size == 2)
                count %= 17;
            s->init.gpr[1] = (s->init.gpr[1] & ~0xffull) | count;
        }
    }
    if (f->undef & (U_SHIFT | U_ROT))
        s->undef |= count_undef(f->undef, count, size);
    s->undef |= f->undef & FL_ALL;
    if (f->enc & E_LOOSE)
        s->x87_loose = true;
    if (!strncmp(f->name, "dpp", 3))       /* known deviation: FINDINGS.md, "Limits" */
        s->init.mxcsr |= 0x1f80;
    if (f->fix == FX_STRING)
        fix_string(g, f, size, rep, a32);
    fix_operands(g, f, &rm, reg, size, s->len);
    return s->len <= ISA_MAX_CODE - 16;
}

static bool follower_ok(const struct isa_form *f)
{
    if (f->map == 1 && (f->op == 0xb0 || f->op == 0xb1))
        return false;                   /* cmpxchg's set-up writes rAX, which may address memory */
    if (!strncmp(f->name, "dpp", 3))
        return false;                   /* after fxrstor/ldmxcsr MXCSR may unmask: FINDINGS.md */
    return f->fix == FX_NONE && f->undef == 0 && !(f->enc & (E_FIXED | E_LOOSE)) && !strchr(f->name, '#') &&
           f->imm != I_REL8 && f->imm != I_REL32 && !(f->enc & E_MODRM && !(f->enc & E_REG));
}

static const uint8_t fillers[][4] = {
    { 3, 0x48, 0xff, 0xc2 },            /* inc rdx */
    { 1, 0xf5 },                        /* cmc */
    { 3, 0x48, 0xf7, 0xdb },            /* neg rbx */
};

void gen_snippet(struct isa_rng *r, struct snippet *s, int form, bool sequence)
{
    struct gen g = { .r = r, .s = s };
    size_t nf = isa_nforms();
    memset(s, 0, offsetof(struct snippet, init));
    gen_state(r, s);
    /* one snippet in four starts just before the page boundary of the code region: its first
     * instruction straddles two pages (the decoder's and translation blocks' slow path) */
    s->start = ISA_CODE_BASE + (rng_below(r, 4) ? 0 : 4096 - 1 - rng_below(r, 15));
    s->init.rip = s->start;
    if (form < 0)
        form = (int)rng_below(r, (uint32_t)nf);
    const struct isa_form *f = isa_form_at((size_t)form);
    s->forms[s->nforms] = form;
    emit(&g, f, true);
    s->ilen[s->nforms++] = (uint8_t)s->len;
    if (f->fix == FX_BRANCH && !sequence) {
        const uint8_t *fl = fillers[rng_below(r, 3)];
        put(&g, fl + 1, fl[0]);
    }
    if (sequence && f->undef == 0) {
        int more = 1 + (int)rng_below(r, ISA_MAX_FORMS - 1);
        for (int k = 0; k < more; k++) {
            int fi;
            do
                fi = (int)rng_below(r, (uint32_t)nf);
            while (!follower_ok(isa_form_at((size_t)fi)));
            int save = s->len;
            if (!emit(&g, isa_form_at((size_t)fi), false)) {
                s->len = save;
                break;
            }
            s->forms[s->nforms] = fi;
            s->ilen[s->nforms++] = (uint8_t)(s->len - save);
        }
    }
    uint64_t stop = s->start + (uint64_t)s->len;
    for (int i = 0; i < g.npatch; i++) {
        int at = g.patch[i].at;
        switch (g.patch[i].kind) {
        case P_REL8: s->code[at] = (uint8_t)(s->len - g.patch[i].end); break;
        case P_REL32: {
            int32_t d = s->len - g.patch[i].end;
            memcpy(s->code + at, &d, 4);
            break;
        }
        case P_REG: s->init.gpr[at] = stop; break;
        case P_DATA64: wr(s, (uint32_t)at, stop, 8); break;
        default: break;
        }
    }
}
