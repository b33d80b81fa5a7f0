/* The 0F38 and 0F3A maps: SSSE3, SSE4.1, SSE4.2 (string compares, pcmpgtq, crc32) and movbe
 * (SDM vol. 2; vol. 1, 12.7-12.10). */
#include "accel/soft/op-sse-util.h"

static inline int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

#define LANE(T, N, F, EXPR)                                     \
    for (int k = 0; k < (N); k++) {                             \
        T a = (T)d->F[k], b = (T)s.F[k];                        \
        (void)a, (void)b;                                       \
        r.F[k] = EXPR;                                          \
    }

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one byte at a time. */
static uint32_t crc32c(uint32_t crc, uint64_t v, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        crc ^= (uint8_t)(v >> (8 * k));
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
    }
    return crc;
}

static uint64_t bswap(uint64_t v, unsigned n)
{
    return n == 2 ? __builtin_bswap16((uint16_t)v) : n == 4 ? __builtin_bswap32((uint32_t)v) : __builtin_bswap64(v);
}

/* SSSE3 horizontal add/subtract (saturating for 03/07). */
static void hadd(union xmm_reg *r, const union xmm_reg *d, const union xmm_reg *s, unsigned op)
{
    bool sub = op >= 5, sat = (op & 3) == 3;
    if ((op & 3) == 2) {
        for (int k = 0; k < 4; k++) {
            const union xmm_reg *x = k < 2 ? d : s;
            int j = 2 * (k & 1);
            r->d[k] = sub ? x->d[j] - x->d[j + 1] : x->d[j] + x->d[j + 1];
        }
        return;
    }
    for (int k = 0; k < 8; k++) {
        const union xmm_reg *x = k < 4 ? d : s;
        int j = 2 * (k & 3);
        int32_t v = sub ? (int16_t)x->w[j] - (int16_t)x->w[j + 1] : (int16_t)x->w[j] + (int16_t)x->w[j + 1];
        r->w[k] = (uint16_t)(sat ? clamp(v, -32768, 32767) : v);
    }
}

/* pmovsx/pmovzx: widen the low elements of s (from_bytes each) to to_bytes each. */
static void widen(union xmm_reg *r, const union xmm_reg *s, unsigned from, unsigned to, bool sign)
{
    union xmm_reg t;
    for (unsigned k = 0; k < 16 / to; k++) {
        uint64_t v = 0;
        memcpy(&v, s->b + k * from, from);
        if (sign)
            v = (uint64_t)(from == 1 ? (int8_t)v : from == 2 ? (int16_t)v : (int32_t)v);
        memcpy(t.b + k * to, &v, to);
    }
    *r = t;
}

static bool sse_0f38_xmm(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff;
    union xmm_reg s, r, *d = &c->xmm[i->reg];
    static const uint8_t wsrc[6] = { 8, 4, 2, 8, 4, 8 };           /* pmovsx/zx source bytes */
    static const uint8_t wfrom[6] = { 1, 1, 1, 2, 2, 4 }, wto[6] = { 2, 4, 8, 4, 8, 8 };
    if (i->pfx != PFX_66)
        return false;
    sse_check(c);
    if ((op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35)) {
        unsigned k = op & 7;
        sse_src(c, i, &s, wsrc[k], false);
        widen(d, &s, wfrom[k], wto[k], op < 0x30);
        return true;
    }
    if (op == 0x2a) {                                   /* movntdqa */
        if (i->mod == 3)
            cpu_raise_ud(c);
        sse_src(c, i, d, 16, true);
        return true;
    }
    sse_src(c, i, &s, 16, true);
    r = *d;
    switch (op) {
    case 0x00: for (int k = 0; k < 16; k++) r.b[k] = (s.b[k] & 0x80) ? 0 : d->b[s.b[k] & 15]; break;
    case 0x01: case 0x02: case 0x03: case 0x05: case 0x06: case 0x07: hadd(&r, d, &s, op); break;
    case 0x04:                                          /* pmaddubsw */
        for (int k = 0; k < 8; k++)
            r.w[k] = (uint16_t)clamp((int32_t)d->b[2 * k] * (int8_t)s.b[2 * k] +
                                     (int32_t)d->b[2 * k + 1] * (int8_t)s.b[2 * k + 1], -32768, 32767);
        break;
    case 0x08: LANE(int8_t, 16, b, (uint8_t)(b < 0 ? -a : b ? a : 0)); break;
    case 0x09: LANE(int16_t, 8, w, (uint16_t)(b < 0 ? -a : b ? a : 0)); break;
    case 0x0a: LANE(int32_t, 4, d, (uint32_t)(b < 0 ? -(uint32_t)a : b ? (uint32_t)a : 0)); break;
    case 0x0b: LANE(int16_t, 8, w, (uint16_t)((((int32_t)a * b >> 14) + 1) >> 1)); break;
    case 0x10: for (int k = 0; k < 16; k++) if (c->xmm[0].b[k] & 0x80) r.b[k] = s.b[k]; break;
    case 0x14: for (int k = 0; k < 4; k++) if (c->xmm[0].d[k] >> 31) r.d[k] = s.d[k]; break;
    case 0x15: for (int k = 0; k < 2; k++) if (c->xmm[0].q[k] >> 63) r.q[k] = s.q[k]; break;
    case 0x17: {                                        /* ptest: flags only */
        bool z = !((d->q[0] & s.q[0]) | (d->q[1] & s.q[1]));
        bool cf = !((~d->q[0] & s.q[0]) | (~d->q[1] & s.q[1]));
        flags_set_arith(c, (z ? F_ZF : 0) | (cf ? F_CF : 0));
        return true;
    }
    case 0x1c: LANE(int8_t, 16, b, (uint8_t)(b < 0 ? -b : b)); break;
    case 0x1d: LANE(int16_t, 8, w, (uint16_t)(b < 0 ? -b : b)); break;
    case 0x1e: LANE(int32_t, 4, d, b < 0 ? -(uint32_t)b : (uint32_t)b); break;
    case 0x28: r.q[0] = (uint64_t)((int64_t)(int32_t)d->d[0] * (int32_t)s.d[0]);
               r.q[1] = (uint64_t)((int64_t)(int32_t)d->d[2] * (int32_t)s.d[2]); break;
    case 0x29: LANE(uint64_t, 2, q, a == b ? ~0ull : 0); break;
    case 0x2b:                                          /* packusdw */
        for (int k = 0; k < 8; k++)
            r.w[k] = (uint16_t)clamp((int32_t)(k < 4 ? d->d[k] : s.d[k - 4]), 0, 65535);
        break;
    case 0x37: LANE(int64_t, 2, q, a > b ? ~0ull : 0); break;
    case 0x38: LANE(int8_t, 16, b, (uint8_t)(a < b ? a : b)); break;
    case 0x39: LANE(int32_t, 4, d, (uint32_t)(a < b ? a : b)); break;
    case 0x3a: LANE(uint16_t, 8, w, a < b ? a : b); break;
    case 0x3b: LANE(uint32_t, 4, d, a < b ? a : b); break;
    case 0x3c: LANE(int8_t, 16, b, (uint8_t)(a > b ? a : b)); break;
    case 0x3d: LANE(int32_t, 4, d, (uint32_t)(a > b ? a : b)); break;
    case 0x3e: LANE(uint16_t, 8, w, a > b ? a : b); break;
    case 0x3f: LANE(uint32_t, 4, d, a > b ? a : b); break;
    case 0x40: LANE(uint32_t, 4, d, a * b); break;
    case 0x41: {                                        /* phminposuw */
        unsigned m = 0;
        for (unsigned k = 1; k < 8; k++)
            if (s.w[k] < s.w[m])
                m = k;
        memset(&r, 0, sizeof(r));
        r.w[0] = s.w[m], r.w[1] = (uint16_t)m;
        break;
    }
    default:
        return false;
    }
    *d = r;
    return true;
}

bool sse_0f38(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff;
    if ((op == 0xf0 || op == 0xf1) && i->pfx == PFX_F2) {        /* crc32 Gy, Eb / Ev */
        unsigned n = op == 0xf0 ? 1 : i->opsize;
        uint64_t v = op == 0xf0 ? greg_read(c, i, i->rm, 1) : 0;
        if (op == 0xf0 && i->mod != 3)
            v = mem_read(c, i->seg, insn_ea(c, i), 1);
        else if (op == 0xf1)
            v = rm_read(c, i, n);
        c->gpr[i->reg] = crc32c((uint32_t)c->gpr[i->reg], v, n);
        return true;
    }
    if ((op == 0xf0 || op == 0xf1) && (i->pfx == PFX_NP || i->pfx == PFX_66)) {   /* movbe */
        if (i->mod == 3)
            cpu_raise_ud(c);
        if (op == 0xf0)
            reg_write(c, i->reg, i->opsize, bswap(mem_read(c, i->seg, insn_ea(c, i), i->opsize), i->opsize));
        else
            mem_write(c, i->seg, insn_ea(c, i), i->opsize, bswap(reg_read(c, i->reg, i->opsize), i->opsize));
        return true;
    }
    return sse_0f38_xmm(c, i);
}

/* ---- PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (SDM vol. 2, 4.1 "imm8 control byte") ---- */

static int64_t str_elem(const union xmm_reg *x, unsigned k, unsigned fmt)
{
    switch (fmt) {
    case 0: return x->b[k];
    case 1: return x->w[k];
    case 2: return (int8_t)x->b[k];
    default: return (int16_t)x->w[k];
    }
}

static unsigned str_implicit_len(const union xmm_reg *x, unsigned n, unsigned fmt)
{
    unsigned k = 0;
    while (k < n && str_elem(x, k, fmt) != 0)
        k++;
    return k;
}

static unsigned str_explicit_len(uint64_t v, bool q, unsigned n)
{
    int64_t l = q ? (int64_t)v : (int64_t)(int32_t)v;
    uint64_t a = l < 0 ? -(uint64_t)l : (uint64_t)l;
    return a > n ? n : (unsigned)a;
}

static void pcmpstr(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff, imm = (unsigned)i->imm, fmt = imm & 3, agg = (imm >> 2) & 3;
    unsigned n = (fmt & 1) ? 8 : 16, la, lb;
    bool q = (i->rex & 8) != 0;
    union xmm_reg s, *d = &c->xmm[i->reg];
    sse_src(c, i, &s, 16, false);
    if (op <= 0x61) {
        la = str_explicit_len(c->gpr[R_RAX], q, n);
        lb = str_explicit_len(c->gpr[R_RDX], q, n);
    } else {
        la = str_implicit_len(d, n, fmt);
        lb = str_implicit_len(&s, n, fmt);
    }
    uint32_t res = 0;
    for (unsigned j = 0; j < n; j++) {
        bool bit = false;
        int64_t b = str_elem(&s, j, fmt);
        switch (agg) {
        case 0:                                         /* equal any */
            for (unsigned k = 0; k < la && j < lb && !bit; k++)
                bit = str_elem(d, k, fmt) == b;
            break;
        case 1:                                         /* ranges: pairs (lo, hi) in d */
            for (unsigned k = 0; k + 1 < n && j < lb && !bit; k += 2)
                bit = k < la && k + 1 < la && b >= str_elem(d, k, fmt) && b <= str_elem(d, k + 1, fmt);
            break;
        case 2:                                         /* equal each */
            bit = (j >= la && j >= lb) ? true : (j >= la || j >= lb) ? false : str_elem(d, j, fmt) == b;
            break;
        default:                                        /* equal ordered: d is a substring at j */
            bit = true;
            for (unsigned k = 0; k + j < n && bit; k++) {
                if (k >= la)
                    break;
                bit = j + k < lb && str_elem(d, k, fmt) == str_elem(&s, j + k, fmt);
            }
            break;
        }
        res |= (uint32_t)bit << j;
    }
    uint32_t all = (1u << n) - 1;
    switch ((imm >> 4) & 3) {
    case 1: res ^= all; break;
    case 3: res ^= (1u << lb) - 1; break;
    default: break;
    }
    if (op & 1) {                                       /* ...stri: an index into ecx */
        unsigned idx = n;
        if (res)
            idx = (imm & 0x40) ? 31u - (unsigned)__builtin_clz(res) : (unsigned)__builtin_ctz(res);
        c->gpr[R_RCX] = idx;
    } else {                                            /* ...strm: a mask into xmm0 */
        union xmm_reg m;
        memset(&m, 0, sizeof(m));
        if (imm & 0x40) {
            for (unsigned k = 0; k < n; k++)
                if (res >> k & 1)
                    memset(m.b + k * (16 / n), 0xff, 16 / n);
        } else {
            m.d[0] = res;
        }
        c->xmm[0] = m;
    }
    flags_set_arith(c, (res ? F_CF : 0) | (lb < n ? F_ZF : 0) | (la < n ? F_SF : 0) | ((res & 1) ? F_OF : 0));
}

/* dpps/dppd: the immediate is part of the instruction, so each value is its own host instruction. */
#define I4(F, b) F(b) F(b + 1) F(b + 2) F(b + 3)
#define I16(F, b) I4(F, b) I4(F, b + 4) I4(F, b + 8) I4(F, b + 12)
#define I256(F) I16(F, 0) I16(F, 16) I16(F, 32) I16(F, 48) I16(F, 64) I16(F, 80) I16(F, 96) I16(F, 112) \
    I16(F, 128) I16(F, 144) I16(F, 160) I16(F, 176) I16(F, 192) I16(F, 208) I16(F, 224) I16(F, 240)
#define DPPS(n) case n: __asm__ volatile("dpps %2, %1, %0" : "+x"(*vd) : "x"(*vs), "i"(n)); break;
#define DPPD(n) case n: __asm__ volatile("dppd %2, %1, %0" : "+x"(*vd) : "x"(*vs), "i"(n)); break;

static void host_dp(bool pd, unsigned imm, v4sf *vd, const v4sf *vs)
{
    if (pd) {
        switch (imm & 0xff) { I256(DPPD) }
    } else {
        switch (imm & 0xff) { I256(DPPS) }
    }
}

/* roundps/pd/ss/sd: imm8[1:0] rounding unless imm8[2] (then MXCSR's), imm8[3] suppresses precision. */
static void host_round(unsigned op, unsigned imm, v4sf *vd, const v4sf *vs)
{
    if (!(imm & 4))
        host_setcsr((host_getcsr() & ~MXCSR_RC) | (imm & 3) << 13);
    bool quiet = imm & 8;
#define ROUND(insn)                                                                                \
    if (quiet)                                                                                     \
        __asm__ volatile(insn " $12, %1, %0" : "+x"(*vd) : "x"(*vs));                              \
    else                                                                                           \
        __asm__ volatile(insn " $4, %1, %0" : "+x"(*vd) : "x"(*vs));                               \
    break;
    switch (op) {
    case 0x08: ROUND("roundps")
    case 0x09: ROUND("roundpd")
    case 0x0a: ROUND("roundss")
    default: ROUND("roundsd")
    }
}

/* pextrb/w/d/q, extractps: to a register (zero-extended) or to memory of the element's size. */
static void extract(struct cpu *c, const struct insn *i, uint64_t v, unsigned n)
{
    if (i->mod == 3)
        c->gpr[i->rm] = v;
    else
        mem_write(c, i->seg, insn_ea(c, i), n, v);
}

bool sse_0f3a(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff, imm = (unsigned)i->imm & 0xff;
    union xmm_reg s, r, *d = &c->xmm[i->reg];
    bool q = (i->rex & 8) != 0;
    if (i->pfx != PFX_66)
        return false;
    switch (op) {
    case 0x08: case 0x09: case 0x0a: case 0x0b: case 0x40: case 0x41: {
        v4sf vd, vs;
        sse_src(c, i, &s, op == 0x0a ? 4 : op == 0x0b ? 8 : 16, true);
        memcpy(&vd, d, 16), memcpy(&vs, &s, 16);
        uint32_t host = fp_enter(c);
        if (op >= 0x40)
            host_dp(op == 0x41, imm, &vd, &vs);
        else
            host_round(op, imm, &vd, &vs);
        fp_leave(c, host);
        memcpy(d, &vd, 16);
        return true;
    }
    case 0x0c: case 0x0d: case 0x0e: {                  /* blendps, blendpd, pblendw */
        sse_src(c, i, &s, 16, true);
        unsigned w = op == 0x0c ? 4 : op == 0x0d ? 8 : 2;
        for (unsigned k = 0; k < 16 / w; k++)
            if (imm >> k & 1)
                memcpy(d->b + k * w, s.b + k * w, w);
        return true;
    }
    case 0x0f: {                                        /* palignr: (d:s) >> 8*imm */
        uint8_t cat[32];
        sse_src(c, i, &s, 16, true);
        memcpy(cat, s.b, 16), memcpy(cat + 16, d->b, 16);
        for (unsigned k = 0; k < 16; k++)
            r.b[k] = k + imm < 32 ? cat[k + imm] : 0;
        *d = r;
        return true;
    }
    case 0x14: extract(c, i, d->b[imm & 15], 1); return true;
    case 0x15: extract(c, i, d->w[imm & 7], 2); return true;
    case 0x16: extract(c, i, q ? d->q[imm & 1] : d->d[imm & 3], q ? 8 : 4); return true;
    case 0x17: extract(c, i, d->d[imm & 3], 4); return true;
    case 0x20: d->b[imm & 15] = (uint8_t)(i->mod == 3 ? c->gpr[i->rm] : mem_read(c, i->seg, insn_ea(c, i), 1)); return true;
    case 0x22:
        if (q)
            d->q[imm & 1] = rm_read(c, i, 8);
        else
            d->d[imm & 3] = (uint32_t)rm_read(c, i, 4);
        return true;
    case 0x21: {                                        /* insertps */
        uint32_t v;
        if (i->mod == 3)
            v = c->xmm[i->rm].d[(imm >> 6) & 3];
        else
            v = (uint32_t)mem_read(c, i->seg, insn_ea(c, i), 4);
        d->d[(imm >> 4) & 3] = v;
        for (unsigned k = 0; k < 4; k++)
            if (imm >> k & 1)
                d->d[k] = 0;
        return true;
    }
    case 0x42: {                                        /* mpsadbw */
        unsigned so = (imm & 3) * 4, dof = ((imm >> 2) & 1) * 4;
        sse_src(c, i, &s, 16, true);
        for (unsigned k = 0; k < 8; k++) {
            unsigned t = 0;
            for (unsigned j = 0; j < 4; j++) {
                int a = d->b[dof + k + j], b = s.b[so + j];
                t += (unsigned)(a > b ? a - b : b - a);
            }
            r.w[k] = (uint16_t)t;
        }
        *d = r;
        return true;
    }
    case 0x60: case 0x61: case 0x62: case 0x63:
        pcmpstr(c, i);
        return true;
    default:
        return false;
    }
}
