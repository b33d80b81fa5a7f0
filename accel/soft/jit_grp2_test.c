/* The translator's shifts and rotates of registers (jit-grp2.c; SDM vol. 2, SAL/SAR/SHL/SHR,
 * ROL/ROR): every form it takes (C0/C1 by an immediate, D0/D1 by 1, D2/D3 by CL; shl, sal /6, shr,
 * sar, rol, ror; 8 bits (AH too), 16, 32 and 64; counts 0, 1, size-1, size, size+1, 31, 63, 65),
 * after the flags were live, lazy (a handler's record) or in cpu->flags, followed by every reader
 * of the flags (setcc and jcc on each condition, adc, pushfq) and by a writer (the record dead), on
 * a cached register, rax and rcx (the count's own register). Each sequence runs interpreted and
 * translated (jit-rig_test.h's setup) and the two must end alike; a few results are checked by
 * value too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"
#include "accel/soft/jit-rig_test.h"

#define ARITH 0x8d5ull

struct code {
    uint8_t b[96];
    size_t n;
};

static void put(struct code *c, const uint8_t *b, size_t n)
{
    memcpy(c->b + c->n, b, n);
    c->n += n;
}

static void put1(struct code *c, unsigned v)
{
    c->b[c->n++] = (uint8_t)v;
}

/* mov r, imm64 */
static void mov_imm(struct code *c, unsigned r, uint64_t v)
{
    put1(c, 0x48 | (r >= 8));
    put1(c, 0xb8 + (r & 7));
    put(c, (const uint8_t *)&v, 8);
}

/* Both runs from the rig's start state; false (the code and both states printed) if they differ. */
static bool agree(struct env *e, const struct code *c, struct flat_state *out)
{
    struct flat_state st[2];
    int rc[2], v[2] = { -1, -1 };
    for (int jit = 0; jit < 2; jit++) {
        memset(e->code, 0xcc, 8192);
        memcpy(e->code, c->b, c->n);
        memset(&st[jit], 0, sizeof(st[jit]));
        st[jit].rip = (uintptr_t)e->code;
        st[jit].gpr[4] = (uintptr_t)e->code + 8192 - 64;
        st[jit].rflags = 0x2;
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0 };
        rc[jit] = soft_flat_run(&st[jit], e->r, 2, (uintptr_t)e->code + c->n, 1000, &v[jit], &cpu);
    }
    *out = st[1];
    if (rc[0] == rc[1] && v[0] == v[1] && !memcmp(st[0].gpr, st[1].gpr, sizeof(st[0].gpr)) &&
        st[0].rip == st[1].rip && (st[0].rflags & ARITH) == (st[1].rflags & ARITH))
        return true;
    fprintf(stderr, "differ:");
    for (size_t k = 0; k < c->n; k++)
        fprintf(stderr, " %02x", c->b[k]);
    fprintf(stderr, "\n rc %d/%d flags %llx/%llx\n", rc[0], rc[1],
            (unsigned long long)(st[0].rflags & ARITH), (unsigned long long)(st[1].rflags & ARITH));
    for (int r = 0; r < 16; r++)
        if (st[0].gpr[r] != st[1].gpr[r])
            fprintf(stderr, " r%d interp %llx jit %llx\n", r, (unsigned long long)st[0].gpr[r],
                    (unsigned long long)st[1].gpr[r]);
    return false;
}

/* Before the shift: nothing (cpu->flags), cmp rax, rdx (live), add si, dx (a handler's record). */
static void pre(struct code *c, unsigned how)
{
    static const uint8_t cmp[] = { 0x48, 0x39, 0xd0 }, add16[] = { 0x66, 0x01, 0xd6 };
    if (how == 1)
        put(c, cmp, 3);
    else if (how == 2)
        put(c, add16, 3);
}

/* After it: setcc dl / jcc over a mov edx, 1 (cc 0-15), adc rdx, 0, pushfq; pop r8, add r10, r10
 * (a writer: the shift's record dead), nothing, setcc dl; add r10, r10 (cc 0-15: the record dead,
 * the flags read live). */
static void post(struct code *c, unsigned how)
{
    static const uint8_t adc[] = { 0x48, 0x83, 0xd2, 0x00 }, pushf[] = { 0x9c, 0x41, 0x58 },
                         add[] = { 0x4d, 0x01, 0xd2 }, mov1[] = { 0xba, 1, 0, 0, 0 };
    if (how < 16) {
        put1(c, 0x0f), put1(c, 0x90 + how), put1(c, 0xc2);
    } else if (how < 32) {
        put1(c, 0x70 + how - 16), put1(c, 5);
        put(c, mov1, 5);
    } else if (how == 32) {
        put(c, adc, 4);
    } else if (how == 33) {
        put(c, pushf, 3);
    } else if (how == 34) {
        put(c, add, 3);
    } else if (how >= 36) {
        put1(c, 0x0f), put1(c, 0x90 + how - 36), put1(c, 0xc2);
        put(c, add, 3);
    }
}

/* The shift: [66] [REX] op ModRM(sub, r) [imm] (8 bits: op - 1; r 4 without REX: AH). */
static void shift(struct code *c, unsigned op, unsigned sub, unsigned size, unsigned r, unsigned n)
{
    if (size == 2)
        put1(c, 0x66);
    if (size == 8 || r >= 8)
        put1(c, 0x40 | (size == 8 ? 8 : 0) | (r >= 8));
    put1(c, op - (size == 1)), put1(c, 0xc0 | sub << 3 | (r & 7));
    if (op == 0xc1)
        put1(c, n);
}

static void test_all_forms(void **state)
{
    static const unsigned ops[3] = { 0xc1, 0xd1, 0xd3 }, subs[6] = { 0, 1, 4, 5, 6, 7 };
    static const unsigned sizes[4] = { 1, 2, 4, 8 }, regs[4] = { 9, 0, 1, 4 };
    static const uint64_t vals[2] = { 0xc3a58001f00f80ffull, 0x1234567800004001ull };
    unsigned bad = 0, runs = 0;
    for (unsigned o = 0; o < 3; o++)
        for (unsigned s = 0; s < 6; s++)
            for (unsigned z = 0; z < 4; z++) {
                unsigned bits = 8 * sizes[z];
                unsigned counts[8] = { 0, 1, bits - 1, bits, bits + 1, 31, 63, 65 };
                for (unsigned k = 0; k < (ops[o] == 0xd1 ? 1u : 8u); k++)
                    for (unsigned p = 0; p < 3; p++)
                        for (unsigned f = 0; f < 52; f++) {
                            unsigned r = regs[(k + f) % 4];
                            if (r == 4 && sizes[z] != 1)
                                r = 6;                          /* rsi; at 8 bits AH (of rax) */
                            unsigned vr = r == 4 ? 0 : r;
                            struct code c = { .n = 0 };
                            mov_imm(&c, vr, vals[(f + p) & 1]);
                            if (r != 1) {
                                put1(&c, 0xb9);             /* mov ecx, count */
                                put(&c, (const uint8_t *)&counts[k], 4);
                            }
                            pre(&c, p);
                            shift(&c, ops[o], subs[s], sizes[z], r, counts[k]);
                            put1(&c, 0x49 | (vr >= 8) << 2), put1(&c, 0x89);   /* mov r11, vr */
                            put1(&c, 0xc3 | (vr & 7) << 3);
                            post(&c, f);
                            struct flat_state st;
                            bad += !agree(*state, &c, &st);
                            runs++;
                        }
            }
    fprintf(stderr, "%u sequences, %u differ\n", runs, bad);
    assert_int_equal(bad, 0);
}

/* shr ax, 17 (rax = 0xffffffffffff8001): ax 0, CF 0 (setc bl); mov ecx, 32; cmp rdx, rax (CF 1);
 * shl esi, cl; setc r8b: the count masked to 0 keeps the cmp's CF, and esi is still
 * zero-extended. */
static void test_values(void **state)
{
    struct code c = { .n = 0 };
    mov_imm(&c, 0, 0xffffffffffff8001ull);
    static const uint8_t shr17[] = { 0x66, 0xc1, 0xe8, 0x11, 0x0f, 0x92, 0xc3 };   /* setc bl */
    put(&c, shr17, sizeof(shr17));
    mov_imm(&c, 6, 0xffffffff00000005ull);
    mov_imm(&c, 2, 1);
    static const uint8_t rest[] = { 0xb9, 0x20, 0, 0, 0, 0x48, 0x39, 0xc2, 0xd3, 0xe6, 0x41, 0x0f,
                                    0x92, 0xc0 };
    put(&c, rest, sizeof(rest));
    struct flat_state st;
    assert_true(agree(*state, &c, &st));
    assert_int_equal(st.gpr[0], 0xffffffffffff0000ull);
    assert_int_equal(st.gpr[3], 0);
    assert_int_equal(st.gpr[6], 5);
    assert_int_equal(st.gpr[8], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_forms),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
