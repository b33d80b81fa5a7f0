/* Self-loop blocks whose last flags writer leaves its lazy record out on the back edge
 * (jit-flags.c's jit_back_edge_writer; jit-chain.c stores the guest's flags from the host's on
 * every other way out): loops run with no stop address (so blocks chain and loop as in a VM),
 * interpreted and translated, and must end alike, all six arithmetic flags included. Each leaves
 * its loop by the jcc's other way or by the instruction budget (a check on the back edge's way),
 * with CF, PF, AF, ZF, SF and OF between them each set somewhere, as the SDM's ADD, SUB, XOR,
 * AND, TEST and DEC say. Each fails with the store on the way it leaves by taken out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

enum { CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, ARITH = 0x8d5 };

/* Two pages: code, stack. */
static int setup(void **state)
{
    static uint8_t *mem;
    mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return -1;
    *state = mem;
    return 0;
}

static int teardown(void **state)
{
    munmap(*state, 2 * 4096);
    return 0;
}

/* Run code (int3s after it) from its start with rax = 0x4000000000000001, rbx = 0x0123456789abcdef,
 * rdx = 7, rsi = 5 until a fault or max instructions, interpreted and translated; both must end
 * alike. Returns the translated run's result, its state in *out. */
static int run_both(uint8_t *mem, const uint8_t *code, size_t n, uint64_t max,
                    struct flat_state *out)
{
    struct flat_state st[2];
    int rc[2], v[2] = { -1, -1 };
    struct flat_region r[2] = { { mem, 4096, 1 }, { mem + 4096, 4096, 1 } };
    for (int jit = 0; jit < 2; jit++) {
        memset(mem, 0xcc, 2 * 4096);
        memcpy(mem, code, n);
        memset(&st[jit], 0, sizeof(st[jit]));
        st[jit].rip = (uintptr_t)mem;
        st[jit].gpr[4] = (uintptr_t)mem + 2 * 4096 - 64;
        st[jit].gpr[0] = 0x4000000000000001ull;
        st[jit].gpr[3] = 0x0123456789abcdefull;
        st[jit].gpr[2] = 7;
        st[jit].gpr[6] = 5;
        st[jit].rflags = 0x2;
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0 };
        rc[jit] = soft_flat_run(&st[jit], r, 2, FLAT_NO_STOP, max, &v[jit], &cpu);
    }
    assert_int_equal(rc[0], rc[1]);
    assert_int_equal(v[0], v[1]);
    assert_memory_equal(st[0].gpr, st[1].gpr, sizeof(st[0].gpr));
    assert_int_equal(st[0].rip, st[1].rip);
    assert_int_equal(st[0].rflags & ARITH, st[1].rflags & ARITH);
    *out = st[1];
    return rc[1];
}

/* mov ecx, 1000; L: add rax, rbx; xor rdx, rax; sub rcx, 7; jae L; int3. The loop leaves by the
 * jcc's other way when sub borrows: 6 - 7 = -1 sets CF, PF, AF and SF (ZF, OF clear). */
static const uint8_t sub_jae[] = { 0xb9, 0xe8, 0x03, 0, 0, 0x48, 0x01, 0xd8, 0x48, 0x31, 0xc2,
                                   0x48, 0x83, 0xe9, 0x07, 0x73, 0xf4, 0xcc };

static void test_not_taken_sub(void **state)
{
    struct flat_state st;
    assert_int_equal(run_both(*state, sub_jae, sizeof(sub_jae), 10000, &st), FLAT_FAULT);
    assert_int_equal(st.gpr[1], ~0ull);
    assert_int_equal(st.rflags & ARITH, CF | PF | AF | SF);
}

/* The same loop cut by the budget on its back edge: after 1 + 4 * 100 instructions rcx = 300
 * (307 - 7: AF), after 1 + 4 * 102 rcx = 286 (293 - 7: AF, PF). */
static void test_budget_sub(void **state)
{
    struct flat_state st;
    assert_int_equal(run_both(*state, sub_jae, sizeof(sub_jae), 1 + 4 * 100, &st), FLAT_LIMIT);
    assert_int_equal(st.gpr[1], 300);
    assert_int_equal(st.rflags & ARITH, AF);
    assert_int_equal(run_both(*state, sub_jae, sizeof(sub_jae), 1 + 4 * 102, &st), FLAT_LIMIT);
    assert_int_equal(st.gpr[1], 286);
    assert_int_equal(st.rflags & ARITH, AF | PF);
}

/* mov rcx, 0x8000000000000005; L: add rax, rbx; lea rdx, [rax + 1]; dec rcx; jno L; int3: dec
 * keeps add's CF and leaves when 0x8000000000000000 - 1 overflows: OF, AF, PF. */
static const uint8_t dec_jno[] = { 0x48, 0xb9, 5, 0, 0, 0, 0, 0, 0, 0x80, 0x48, 0x01, 0xd8, 0x48,
                                   0x8d, 0x50, 0x01, 0x48, 0xff, 0xc9, 0x71, 0xf4, 0xcc };

static void test_not_taken_dec(void **state)
{
    struct flat_state st;
    assert_int_equal(run_both(*state, dec_jno, sizeof(dec_jno), 10000, &st), FLAT_FAULT);
    assert_int_equal(st.gpr[1], 0x7fffffffffffffffull);
    assert_int_equal(st.rflags & (OF | AF | PF | ZF | SF), OF | AF | PF);
}

/* mov ecx, 9; L: add rax, rbx; cld; dec rcx; jnz L; int3: cld is a handler call, after which
 * dec takes add's CF from the lazy record; out by the jcc (ZF, PF) and by the budget. */
static const uint8_t dec_cld[] = { 0xb9, 0x09, 0, 0, 0, 0x48, 0x01, 0xd8, 0xfc, 0x48, 0xff, 0xc9,
                                   0x75, 0xf7, 0xcc };

static void test_handler_in_loop(void **state)
{
    struct flat_state st;
    assert_int_equal(run_both(*state, dec_cld, sizeof(dec_cld), 10000, &st), FLAT_FAULT);
    assert_int_equal(st.gpr[1], 0);
    assert_int_equal(st.rflags & (ZF | PF | SF | OF | AF), ZF | PF);
    assert_int_equal(run_both(*state, dec_cld, sizeof(dec_cld), 1 + 4 * 3, &st), FLAT_LIMIT);
    assert_int_equal(st.gpr[1], 6);                    /* dec 7: PF */
    assert_int_equal(st.rflags & (ZF | PF | SF | OF | AF), PF);
}

/* mov rcx, -2; L: add rax, rbx; and rcx, -2; mov rdx, rcx; xor rcx, rax; jnz L; int3: a logic op
 * last (its record's AF 0, CF 0, OF 0): out by the budget with SF or PF somewhere. */
static const uint8_t xor_jnz[] = { 0x48, 0xc7, 0xc1, 0xfe, 0xff, 0xff, 0xff, 0x48, 0x01, 0xd8, 0x48,
                                   0x83, 0xe1, 0xfe, 0x48, 0x89, 0xca, 0x48, 0x31, 0xc1, 0x75, 0xf1,
                                   0xcc };

static void test_budget_logic(void **state)
{
    struct flat_state st;
    unsigned seen = 0;
    for (unsigned rounds = 1; rounds <= 8; rounds++) {
        uint64_t max = 1 + 5 * rounds;
        assert_int_equal(run_both(*state, xor_jnz, sizeof(xor_jnz), max, &st), FLAT_LIMIT);
        assert_int_equal(st.rflags & (CF | OF | AF), 0);
        seen |= st.rflags & ARITH;
    }
    assert_true(seen & SF);
    assert_true(seen & PF);
}

/* mov rcx, -5; L: add rax, rbx; lea rcx, [rcx + 1]; test rcx, rcx; jnz L; int3: test last, out
 * by the jcc (ZF, PF) and by the budget (rcx = -4: SF, PF; rcx = -3: SF). */
static const uint8_t test_jnz[] = { 0x48, 0xc7, 0xc1, 0xfb, 0xff, 0xff, 0xff, 0x48, 0x01, 0xd8,
                                    0x48, 0x8d, 0x49, 0x01, 0x48, 0x85, 0xc9, 0x75, 0xf4, 0xcc };

static void test_test_last(void **state)
{
    struct flat_state st;
    assert_int_equal(run_both(*state, test_jnz, sizeof(test_jnz), 10000, &st), FLAT_FAULT);
    assert_int_equal(st.gpr[1], 0);
    assert_int_equal(st.rflags & ARITH, ZF | PF);
    assert_int_equal(run_both(*state, test_jnz, sizeof(test_jnz), 1 + 4 * 1, &st), FLAT_LIMIT);
    assert_int_equal(st.gpr[1], (uint64_t)-4);
    assert_int_equal(st.rflags & ARITH, SF | PF);
    assert_int_equal(run_both(*state, test_jnz, sizeof(test_jnz), 1 + 4 * 2, &st), FLAT_LIMIT);
    assert_int_equal(st.gpr[1], (uint64_t)-3);
    assert_int_equal(st.rflags & ARITH, SF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_taken_sub),
        cmocka_unit_test(test_budget_sub),
        cmocka_unit_test(test_not_taken_dec),
        cmocka_unit_test(test_handler_in_loop),
        cmocka_unit_test(test_budget_logic),
        cmocka_unit_test(test_test_last),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
