/* Lazy flags against eager ones: after every kind of recorded operation (add, adc, sub, sbb, logic,
 * inc, dec, shift, and a rotate on top of each), the flags cpu_get_flags materializes, the carry
 * cpu_cf reads and the sixteen conditions cpu_cond and cpu_cond_fast answer must agree with the
 * flags computed bit by bit from the operands (SDM vol. 1, appendix B for the conditions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/soft/alu.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*, so failures reproduce. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Operands that hit the edges (0, all ones, sign bit, around them) as often as random ones. */
static uint64_t operand(unsigned size)
{
    static const uint64_t edge[] = { 0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
                                     0x7fffffff, 0x80000000ull, 0x7fffffffffffffffull,
                                     0x8000000000000000ull, ~0ull, ~0ull - 1 };
    uint64_t v = (rnd() & 1) ? edge[rnd() % (sizeof(edge) / sizeof(edge[0]))] : rnd();
    return v & size_mask(size);
}

/* The six flags of r = a op b (+/- cin), straight from the definitions. */
static uint64_t eager(unsigned kind, unsigned size, uint64_t a, uint64_t b, unsigned cin, uint64_t r)
{
    unsigned bits = size * 8;
    uint64_t m = size_mask(size);
    a &= m;
    b &= m;
    r &= m;
    uint64_t f = 0;
    bool sa = (a >> (bits - 1)) & 1, sbit = (b >> (bits - 1)) & 1, sr = (r >> (bits - 1)) & 1;
    if (r == 0)
        f |= F_ZF;
    if (sr)
        f |= F_SF;
    if (!__builtin_parity((unsigned)(r & 0xff)))
        f |= F_PF;
    switch (kind) {
    case ALU_ADD: case ALU_ADC: {
        unsigned __int128 w = (unsigned __int128)a + b + cin;
        if ((w >> bits) & 1)
            f |= F_CF;
        if (sa == sbit && sr != sa)
            f |= F_OF;
        if (((a & 0xf) + (b & 0xf) + cin) & 0x10)
            f |= F_AF;
        break;
    }
    case ALU_SUB: case ALU_SBB: case ALU_CMP:
        if ((unsigned __int128)a < (unsigned __int128)b + cin)
            f |= F_CF;
        if (sa != sbit && sr != sa)
            f |= F_OF;
        if ((a & 0xf) < (b & 0xf) + cin)
            f |= F_AF;
        break;
    default:   /* logic: CF = OF = 0, AF 0 here */
        break;
    }
    return f;
}

static bool cond_of(uint64_t f, unsigned cc)
{
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

/* Every reader of the lazy record must see the flags f. */
static void check_readers(struct cpu *c, uint64_t f)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        assert_int_equal(cpu_cond_fast(c, cc), cond_of(f, cc));
        assert_int_equal(cpu_cond(c, cc), cond_of(f, cc));
    }
    assert_int_equal(cpu_cf(c), (f & F_CF) != 0);
    assert_int_equal(flags_arith(c), f);
}

static const unsigned sizes[] = { 1, 2, 4, 8 };

static void test_alu_kinds(void **state)
{
    (void)state;
    struct cpu *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    for (int n = 0; n < 20000; n++) {
        unsigned size = sizes[rnd() & 3], op = rnd() & 7;
        uint64_t a = operand(size), b = operand(size);
        unsigned cin = (unsigned)(rnd() & 1);
        cpu_set_flags(c, cin ? F_CF : 0);
        uint64_t r = alu_op(c, op, size, a, b);
        if (op == ALU_CMP)
            r = a - b;
        unsigned used_cin = (op == ALU_ADC || op == ALU_SBB) ? cin : 0;
        check_readers(c, eager(op, size, a, b, used_cin, r));
    }
    free(c);
}

static void test_incdec(void **state)
{
    (void)state;
    struct cpu *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    for (int n = 0; n < 20000; n++) {
        unsigned size = sizes[rnd() & 3];
        uint64_t a = operand(size);
        bool dec = rnd() & 1, cf = rnd() & 1;
        cpu_set_flags(c, cf ? F_CF : 0);
        uint64_t r = alu_incdec(c, size, a, dec);
        uint64_t f = eager(dec ? ALU_SUB : ALU_ADD, size, a, 1, 0, r);
        f = (f & ~(uint64_t)F_CF) | (cf ? F_CF : 0);   /* inc/dec keep CF */
        check_readers(c, f);
    }
    free(c);
}

/* A rotate (flags_rotate) or a bt (flags_set_cf) after each kind of operation: CF (and OF) are
 * replaced, the other flags must be the earlier operation's. Twice in a row, to cover LF_ROT on
 * LF_ROT. */
static void test_rotate_and_bt_keep_flags(void **state)
{
    (void)state;
    struct cpu *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    for (int n = 0; n < 40000; n++) {
        unsigned size = sizes[rnd() & 3], kind = rnd() % 4;
        uint64_t a = operand(size), b = operand(size);
        cpu_set_flags(c, (rnd() & 1) ? (F_CF | F_OF | F_AF) : 0);
        switch (kind) {
        case 0: alu_op(c, rnd() & 7, size, a, b); break;
        case 1: alu_incdec(c, size, a, rnd() & 1); break;
        case 2: lf_set(c, LF_SHIFT, size, a, rnd() & 1, rnd() & 1); break;
        default: break;   /* LF_NONE */
        }
        uint64_t f = flags_arith(c);
        for (int k = 0; k < 2; k++) {
            bool cf = rnd() & 1, of = rnd() & 1;
            if (rnd() & 1) {
                flags_rotate(c, cf, of);
                f = (f & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
            } else {
                flags_set_cf(c, cf);
                f = (f & ~(uint64_t)F_CF) | (cf ? F_CF : 0);
            }
            check_readers(c, f);
        }
        /* And the materialized RFLAGS carries the same bits. */
        assert_int_equal(cpu_get_flags(c) & F_ARITH, f);
        check_readers(c, f);
    }
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu_kinds),
        cmocka_unit_test(test_incdec),
        cmocka_unit_test(test_rotate_and_bt_keep_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
