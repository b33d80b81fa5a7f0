/* Random machine state for snippets: register values that favour edge cases, floats that are worth
 * computing with, and consistent x87/SSE control state. */
#include <math.h>
#include <float.h>
#include <string.h>

#include "tests/isa/isa.h"
#include "tests/isa/gen.h"

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rng_seed(struct isa_rng *r, uint64_t seed)
{
    r->s[0] = splitmix(&seed);
    r->s[1] = splitmix(&seed);
}

/* xoroshiro128+ */
uint64_t rng_next(struct isa_rng *r)
{
    uint64_t s0 = r->s[0], s1 = r->s[1], res = s0 + s1;
    s1 ^= s0;
    r->s[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
    r->s[1] = (s1 << 37) | (s1 >> 27);
    return res;
}

uint64_t rng_value(struct isa_rng *r)
{
    static const unsigned bits[] = { 7, 8, 15, 16, 31, 32, 63 };
    switch (rng_below(r, 12)) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return rng_below(r, 16);
    case 3: return -(uint64_t)rng_below(r, 16);
    case 4: return (1ull << bits[rng_below(r, 7)]) + rng_below(r, 3) - 1;
    case 5: return (uint32_t)rng_next(r);
    case 6: return (uint64_t)(int64_t)(int32_t)rng_next(r);
    case 7: return (rng_next(r) & ~0xffull) | rng_below(r, 3) * 0x7f;   /* 00, 7f, fe low byte */
    case 8: return rng_next(r) & 0xffff;
    default: return rng_next(r);
    }
}

double gen_double(struct isa_rng *r)
{
    static const double special[] = { 0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, DBL_MIN, DBL_MAX,
                                      4.9406564584124654e-324, 1.0, -1.0, 0.5, 2.5, -3.5 };
    switch (rng_below(r, 10)) {
    case 0: return special[rng_below(r, sizeof(special) / sizeof(special[0]))];
    case 1: case 2: case 3:   /* small values with short fractions: exact sums and products */
        return (double)(int32_t)(rng_next(r) % 20001 - 10000) / (double)(1u << rng_below(r, 8));
    default: {
        double m = (double)(rng_next(r) >> 11) / 9007199254740992.0 + 0.5;
        return ldexp(rng_below(r, 2) ? -m : m, (int)rng_below(r, 80) - 40);
    }
    }
}

float gen_float(struct isa_rng *r)
{
    static const float special[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MIN, FLT_MAX,
                                     1.4e-45f, 1.0f, -1.5f };
    if (rng_below(r, 10) == 0)
        return special[rng_below(r, sizeof(special) / sizeof(special[0]))];
    double d = gen_double(r);
    if (!isfinite(d) || fabs(d) > 1e30)
        d = 1.25;
    return (float)d;
}

void gen_xmm(struct isa_rng *r, uint8_t x[16])
{
    switch (rng_below(r, 5)) {
    case 0: for (int i = 0; i < 4; i++) { float f = gen_float(r); memcpy(x + 4 * i, &f, 4); } break;
    case 1: for (int i = 0; i < 2; i++) { double d = gen_double(r); memcpy(x + 8 * i, &d, 8); } break;
    case 2: for (int i = 0; i < 2; i++) { uint64_t v = rng_value(r); memcpy(x + 8 * i, &v, 8); } break;
    case 3:   /* small lanes: packed compares and saturation see equal and near values */
        for (int i = 0; i < 16; i++)
            x[i] = (uint8_t)(rng_below(r, 4) ? rng_below(r, 5) : rng_next(r));
        break;
    default: for (int i = 0; i < 2; i++) { uint64_t v = rng_next(r); memcpy(x + 8 * i, &v, 8); } break;
    }
}

uint32_t gen_mxcsr(struct isa_rng *r)
{
    uint32_t m = 0x1f80;
    if (rng_below(r, 3) == 0)
        m |= (uint32_t)rng_below(r, 4) << 13;      /* rounding control */
    if (rng_below(r, 8) == 0)
        m |= 0x8000;                                /* FTZ */
    if (rng_below(r, 8) == 0)
        m |= 0x40;                                  /* DAZ */
    if (rng_below(r, 4) == 0)
        m |= (uint32_t)rng_below(r, 64);            /* sticky exception flags */
    return m;
}

/* The exception masks stay set: a pending unmasked x87 exception would surface as #MF at some
 * later instruction, which says nothing about the one under test. */
uint16_t gen_fcw(struct isa_rng *r)
{
    if (rng_below(r, 2))
        return 0x037f;
    return (uint16_t)(0x007f | (rng_below(r, 4) << 8) | (rng_below(r, 4) << 10));
}

void gen_st(struct isa_rng *r, uint8_t st[10])
{
    long double v;
    unsigned k = rng_below(r, 12);
    if (k == 0) {                       /* any 80-bit pattern: unnormals, pseudo-denormals ... */
        uint64_t m = rng_next(r);
        memcpy(st, &m, 8);
        uint16_t e = (uint16_t)rng_next(r);
        memcpy(st + 8, &e, 2);
        return;
    }
    if (k == 1)
        v = (long double)gen_double(r) * (long double)gen_double(r);    /* 64-bit mantissas */
    else
        v = gen_double(r);
    memcpy(st, &v, 10);
}

/* x87 state: TOP anywhere, the top `n` stack slots valid, the rest empty (with junk contents that
 * must survive). The abridged tag word indexes physical registers: ST(i) is R[(TOP+i)&7]. */
void gen_x87(struct isa_rng *r, struct flat_state *st)
{
    unsigned top = rng_below(r, 8), n = rng_below(r, 4) ? 2 + rng_below(r, 4) : rng_below(r, 9);
    st->fcw = gen_fcw(r);
    st->fsw = (uint16_t)((top << 11) | (rng_next(r) & 0x4700) | (rng_below(r, 3) ? 0 : rng_below(r, 64)));
    st->ftw = 0;
    for (unsigned i = 0; i < 8; i++) {
        gen_st(r, st->st[i]);
        if (i < n)
            st->ftw |= (uint8_t)(1u << ((top + i) & 7));
    }
}

void gen_data(struct isa_rng *r, uint8_t *d, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = rng_below(r, 8) ? rng_next(r) : rng_value(r);
        memcpy(d + i, &v, 8);
    }
    for (int k = rng_below(r, 4); k > 0; k--)    /* zero runs */
        memset(d + rng_below(r, (uint32_t)len - 64), 0, 1 + rng_below(r, 64));
}

void gen_state(struct isa_rng *r, struct snippet *s)
{
    struct flat_state *st = &s->init;
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < 16; i++)
        st->gpr[i] = rng_value(r);
    st->gpr[4] = ISA_STACK_TOP - 8 * rng_below(r, 16) - (rng_below(r, 8) ? 0 : rng_below(r, 8));
    st->rip = ISA_CODE_BASE;
    st->rflags = 0x202 | (rng_next(r) & FL_ARITH) | (rng_below(r, 4) ? 0 : FL_DF);
    for (int i = 0; i < 16; i++)
        gen_xmm(r, st->xmm[i]);
    st->mxcsr = gen_mxcsr(r);
    gen_x87(r, st);
    gen_data(r, s->data, ISA_DATA_SIZE);
}
