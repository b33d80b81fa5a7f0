/* SSE2 packed-integer instructions (66 0F 60-76, C4/C5, D1-FE): lane by lane in C, with the
 * saturation, averaging and shift-count rules of SDM vol. 2's pseudo-code. */
#include "accel/soft/op-sse-util.h"

/* r.F[k] = EXPR over N lanes, with a and b the lanes of destination and source as type T. */
#define LANE(T, N, F, EXPR)                                     \
    for (int k = 0; k < (N); k++) {                             \
        T a = (T)d->F[k], b = (T)s.F[k];                        \
        (void)a, (void)b;                                       \
        r.F[k] = EXPR;                                          \
    }

static inline int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* psrl/psra/psll by a count (from imm8 or the low quadword of a register): counts past the lane
 * width give 0, or the sign for arithmetic shifts. */
static void shift_lanes(union xmm_reg *x, unsigned width, unsigned kind, uint64_t count)
{
    unsigned n = 16 / width, bits = 8 * width;
    for (unsigned k = 0; k < n; k++) {
        uint64_t v = width == 2 ? x->w[k] : width == 4 ? x->d[k] : x->q[k];
        int64_t sv = width == 2 ? (int16_t)v : width == 4 ? (int32_t)v : (int64_t)v;
        uint64_t res;
        if (kind == 2)                              /* logical right */
            res = count >= bits ? 0 : v >> count;
        else if (kind == 4)                         /* arithmetic right */
            res = (uint64_t)(sv >> (count >= bits ? bits - 1 : count));
        else                                        /* left */
            res = count >= bits ? 0 : v << count;
        if (width == 2) x->w[k] = (uint16_t)res;
        else if (width == 4) x->d[k] = (uint32_t)res;
        else x->q[k] = res;
    }
}

/* 66 0F 71-73 /r ib on a register: the shift groups, and psrldq/pslldq (bytes). */
static void shift_group(struct cpu *c, const struct insn *i)
{
    unsigned op = i->op & 0xff, sub = (i->modrm >> 3) & 7, cnt = (unsigned)i->imm & 0xff;
    union xmm_reg *x = &c->xmm[i->rm], r;
    if (i->mod != 3)
        cpu_raise_ud(c);
    if (op == 0x73 && (sub == 3 || sub == 7)) {
        memset(&r, 0, sizeof(r));
        for (unsigned k = 0; k < 16 && cnt < 16; k++) {
            if (sub == 3 && k + cnt < 16)
                r.b[k] = x->b[k + cnt];
            if (sub == 7 && k >= cnt)
                r.b[k] = x->b[k - cnt];
        }
        *x = r;
        return;
    }
    unsigned width = op == 0x71 ? 2 : op == 0x72 ? 4 : 8;
    if ((sub != 2 && sub != 4 && sub != 6) || (width == 8 && sub == 4))
        cpu_raise_ud(c);
    shift_lanes(x, width, sub, cnt);
}

static uint16_t sad8(const uint8_t *a, const uint8_t *b)
{
    unsigned t = 0;
    for (int k = 0; k < 8; k++)
        t += a[k] > b[k] ? a[k] - b[k] : b[k] - a[k];
    return (uint16_t)t;
}

/* The lane-wise packed-integer operations of 0F 60-6D, 74-76, D1-FE on w-byte registers (16 for
 * XMM, 8 for MMX): *out = d op s; false for an opcode that is not one of them. */
bool int_lanes(unsigned op, union xmm_reg *out, const union xmm_reg *d, const union xmm_reg *src, unsigned w)
{
    union xmm_reg s = *src, r = *d;
    switch (op) {
    case 0x60: for (int k = 0; k < 8; k++) r.b[2 * k] = d->b[k], r.b[2 * k + 1] = s.b[k]; break;
    case 0x61: for (int k = 0; k < 4; k++) r.w[2 * k] = d->w[k], r.w[2 * k + 1] = s.w[k]; break;
    case 0x62: for (int k = 0; k < 2; k++) r.d[2 * k] = d->d[k], r.d[2 * k + 1] = s.d[k]; break;
    case 0x68: for (unsigned k = 0; k < w / 2; k++) r.b[2 * k] = d->b[w / 2 + k], r.b[2 * k + 1] = s.b[w / 2 + k]; break;
    case 0x69: for (unsigned k = 0; k < w / 4; k++) r.w[2 * k] = d->w[w / 4 + k], r.w[2 * k + 1] = s.w[w / 4 + k]; break;
    case 0x6a: for (unsigned k = 0; k < w / 8; k++) r.d[2 * k] = d->d[w / 8 + k], r.d[2 * k + 1] = s.d[w / 8 + k]; break;
    case 0x6c: if (w == 8) return false; r.q[0] = d->q[0], r.q[1] = s.q[0]; break;
    case 0x6d: if (w == 8) return false; r.q[0] = d->q[1], r.q[1] = s.q[1]; break;
    case 0x63: case 0x67:                           /* packsswb, packuswb */
        for (unsigned k = 0; k < w; k++) {
            int16_t v = (int16_t)(k < w / 2 ? d->w[k] : s.w[k - w / 2]);
            r.b[k] = (uint8_t)(op == 0x63 ? clamp(v, -128, 127) : clamp(v, 0, 255));
        }
        break;
    case 0x6b:                                      /* packssdw */
        for (unsigned k = 0; k < w / 2; k++)
            r.w[k] = (uint16_t)clamp((int32_t)(k < w / 4 ? d->d[k] : s.d[k - w / 4]), -32768, 32767);
        break;
    case 0x64: LANE(int8_t, 16, b, a > b ? 0xff : 0); break;
    case 0x65: LANE(int16_t, 8, w, a > b ? 0xffff : 0); break;
    case 0x66: LANE(int32_t, 4, d, a > b ? 0xffffffffu : 0); break;
    case 0x74: LANE(uint8_t, 16, b, a == b ? 0xff : 0); break;
    case 0x75: LANE(uint16_t, 8, w, a == b ? 0xffff : 0); break;
    case 0x76: LANE(uint32_t, 4, d, a == b ? 0xffffffffu : 0); break;
    case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3: {
        unsigned width = (op & 3) == 1 ? 2 : (op & 3) == 2 ? 4 : 8;
        unsigned kind = op >= 0xf0 ? 6 : op >= 0xe0 ? 4 : 2;
        shift_lanes(&r, width, kind, s.q[0]);
        break;
    }
    case 0xd4: LANE(uint64_t, 2, q, a + b); break;
    case 0xd5: LANE(int16_t, 8, w, (uint16_t)(a * b)); break;
    case 0xd8: LANE(int, 16, b, (uint8_t)clamp(a - b, 0, 255)); break;
    case 0xd9: LANE(int, 8, w, (uint16_t)clamp(a - b, 0, 65535)); break;
    case 0xda: LANE(uint8_t, 16, b, a < b ? a : b); break;
    case 0xdb: LANE(uint64_t, 2, q, a & b); break;
    case 0xdc: LANE(int, 16, b, (uint8_t)clamp(a + b, 0, 255)); break;
    case 0xdd: LANE(int, 8, w, (uint16_t)clamp(a + b, 0, 65535)); break;
    case 0xde: LANE(uint8_t, 16, b, a > b ? a : b); break;
    case 0xdf: LANE(uint64_t, 2, q, ~a & b); break;
    case 0xe0: LANE(unsigned, 16, b, (uint8_t)((a + b + 1) >> 1)); break;
    case 0xe3: LANE(unsigned, 8, w, (uint16_t)((a + b + 1) >> 1)); break;
    case 0xe4: LANE(uint32_t, 8, w, (uint16_t)((a * b) >> 16)); break;
    case 0xe5: LANE(int16_t, 8, w, (uint16_t)(((int32_t)a * b) >> 16)); break;
    case 0xe8: LANE(int8_t, 16, b, (uint8_t)clamp(a - b, -128, 127)); break;
    case 0xe9: LANE(int16_t, 8, w, (uint16_t)clamp(a - b, -32768, 32767)); break;
    case 0xea: LANE(int16_t, 8, w, (uint16_t)(a < b ? a : b)); break;
    case 0xeb: LANE(uint64_t, 2, q, a | b); break;
    case 0xec: LANE(int8_t, 16, b, (uint8_t)clamp(a + b, -128, 127)); break;
    case 0xed: LANE(int16_t, 8, w, (uint16_t)clamp(a + b, -32768, 32767)); break;
    case 0xee: LANE(int16_t, 8, w, (uint16_t)(a > b ? a : b)); break;
    case 0xef: LANE(uint64_t, 2, q, a ^ b); break;
    case 0xf4: r.q[0] = (uint64_t)d->d[0] * s.d[0], r.q[1] = (uint64_t)d->d[2] * s.d[2]; break;
    case 0xf5:                                      /* pmaddwd */
        for (int k = 0; k < 4; k++)
            r.d[k] = (uint32_t)((int32_t)(int16_t)d->w[2 * k] * (int16_t)s.w[2 * k] +
                                (int32_t)(int16_t)d->w[2 * k + 1] * (int16_t)s.w[2 * k + 1]);
        break;
    case 0xf6:                                      /* psadbw */
        r.q[0] = sad8(d->b, s.b), r.q[1] = sad8(d->b + 8, s.b + 8);
        break;
    case 0xf8: LANE(uint8_t, 16, b, (uint8_t)(a - b)); break;
    case 0xf9: LANE(uint16_t, 8, w, (uint16_t)(a - b)); break;
    case 0xfa: LANE(uint32_t, 4, d, a - b); break;
    case 0xfb: LANE(uint64_t, 2, q, a - b); break;
    case 0xfc: LANE(uint8_t, 16, b, (uint8_t)(a + b)); break;
    case 0xfd: LANE(uint16_t, 8, w, (uint16_t)(a + b)); break;
    case 0xfe: LANE(uint32_t, 4, d, a + b); break;
    default:
        return false;
    }
    *out = r;
    return true;
}

bool sse_int(struct cpu *c, const struct insn *i, unsigned key)
{
    unsigned op = i->op & 0xff;
    union xmm_reg s, r, *d = &c->xmm[i->reg];
    if (key == SSE_KEY(0x70, PFX_66) || key == SSE_KEY(0x70, PFX_F3) || key == SSE_KEY(0x70, PFX_F2)) {
        unsigned m = (unsigned)i->imm;
        sse_src(c, i, &s, 16, true);
        r = s;
        if (i->pfx == PFX_66)
            for (int k = 0; k < 4; k++) r.d[k] = s.d[(m >> (2 * k)) & 3];
        else
            for (int k = 0, h = i->pfx == PFX_F3 ? 4 : 0; k < 4; k++) r.w[h + k] = s.w[h + ((m >> (2 * k)) & 3)];
        *d = r;
        return true;
    }
    if (i->pfx != PFX_66)
        return false;
    switch (op) {
    case 0x71: case 0x72: case 0x73:
        shift_group(c, i);
        return true;
    case 0xc4: {                                    /* pinsrw x, r32/m16, imm8 */
        uint16_t v = (uint16_t)rm_read(c, i, 2);
        d->w[i->imm & 7] = v;
        return true;
    }
    case 0xc5:                                      /* pextrw r32, x, imm8 */
        if (i->mod != 3)
            cpu_raise_ud(c);
        c->gpr[i->reg] = c->xmm[i->rm].w[i->imm & 7];
        return true;
    case 0xd7: {                                    /* pmovmskb r32, x */
        if (i->mod != 3)
            cpu_raise_ud(c);
        uint64_t m = 0;
        for (int k = 0; k < 16; k++)
            m |= (uint64_t)(c->xmm[i->rm].b[k] >> 7) << k;
        c->gpr[i->reg] = m;
        return true;
    }
    case 0xf7: {                                    /* maskmovdqu x, x: bytes to DS:rDI */
        if (i->mod != 3)
            cpu_raise_ud(c);
        uint64_t base = c->gpr[R_RDI] & size_mask(i->addrsize);
        for (int k = 0; k < 16; k++)
            if (c->xmm[i->rm].b[k] & 0x80)
                mem_write(c, i->seg_override ? i->seg : SEG_DS, (base + (uint64_t)k) & size_mask(i->addrsize),
                          1, d->b[k]);
        return true;
    }
    default:
        break;
    }
    if (!((op >= 0x60 && op <= 0x6d) || (op >= 0x74 && op <= 0x76) || (op >= 0xd1 && op <= 0xfe)))
        return false;
    if (op == 0xd6 || op == 0xe6 || op == 0xe7 || op == 0xf0)
        return false;
    sse_src(c, i, &s, 16, true);
    return int_lanes(op, d, d, &s, 16);
}
