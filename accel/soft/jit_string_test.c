/* The translator's rep movs/stos (jit-string.c) against the interpreter (op-string.c) and the
 * SDM's element-by-element definition (vol. 2, REP MOVS/STOS): forward and backward, across
 * pages, overlapping, and a #PF in the middle of a rep (on the destination and on the source)
 * that must leave rcx, rsi and rdi where the faulting element is. */
#include "accel/soft/jit_mem_test.h"

#define WARM_RDI 0x4c, 0x8b, 0x3f, 0x4c, 0x89, 0x3f   /* mov r15, [rdi]; mov [rdi], r15 */
#define WARM_RSI 0x4c, 0x8b, 0x3e, 0x4c, 0x89, 0x3e
#define WARM_R14 0x4d, 0x8b, 0x3e, 0x4d, 0x89, 0x3e

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static uint64_t addr(const void *p) { return (uintptr_t)p; }

/* The data pages as the SDM's loop leaves them: n elements of size bytes from src to dst
 * offsets (in the data pages), one at a time, forward or back. */
static void expect_movs(const struct menv *e, size_t src, size_t dst, size_t n, unsigned size,
                        bool back)
{
    static uint8_t exp[2 * PG];
    for (size_t k = 0; k < sizeof(exp); k++)
        exp[k] = pattern(k);
    for (size_t k = 0; k < n; k++) {
        memmove(exp + dst, exp + src, size);
        src = back ? src - size : src + size;
        dst = back ? dst - size : dst + size;
    }
    assert_memory_equal(exp, e->base + 2 * PG, sizeof(exp));
}

/* rep movsb forward, source and destination overlapping (destination above), crossing into the
 * second data page: three spans, each cut at a page end on one side. */
static void test_movsb_forward_overlap(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RSI, WARM_R14, 0xf3, 0xa4 };
    uint64_t g[16] = { 0 };
    g[RSI] = addr(data_of(e) + 8);
    g[RDI] = addr(data_of(e) + 4000);
    g[RCX] = 3000;
    g[R14] = addr(data_of(e) + PG);
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[RCX], 0);
    assert_int_equal(st.gpr[RSI], addr(data_of(e) + 3008));
    assert_int_equal(st.gpr[RDI], addr(data_of(e) + 7000));
    expect_movs(e, 8, 4000, 3000, 1, false);
}

/* rep stosq with DF = 1 from the middle of the second data page down into the first. */
static void test_stosq_backward(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RDI, WARM_R14, 0xf3, 0x48, 0xab };
    uint64_t g[16] = { 0 };
    g[RAX] = 0x1122334455667788ull;
    g[RDI] = addr(data_of(e) + PG + 2048);
    g[RCX] = 400;
    g[R14] = addr(data_of(e));
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0x400, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[RCX], 0);
    assert_int_equal(st.gpr[RDI], addr(data_of(e) + PG + 2048 - 3200));
    uint64_t lo, hi;
    memcpy(&hi, data_of(e) + PG + 2048, 8);
    memcpy(&lo, data_of(e) + PG + 2048 - 399 * 8, 8);
    assert_int_equal(hi, g[RAX]);
    assert_int_equal(lo, g[RAX]);
    assert_int_equal(*(data_of(e) + PG + 2048 - 399 * 8 - 1), pattern(PG + 2048 - 399 * 8 - 1));
}

/* rep movsw with DF = 1, destination 10 bytes above the source (memmove's backward case). */
static void test_movsw_backward_overlap(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RSI, 0x66, 0xf3, 0xa5 };
    uint64_t g[16] = { 0 };
    g[RSI] = addr(data_of(e) + 1000);
    g[RDI] = addr(data_of(e) + 1010);
    g[RCX] = 300;
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0x400, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[RSI], addr(data_of(e) + 400));
    assert_int_equal(st.gpr[RDI], addr(data_of(e) + 410));
    expect_movs(e, 1000, 1010, 300, 2, true);
}

/* inc rbx; rep stosb from 24 bytes below the stack page's end: #PF at the page after it, with
 * 24 bytes stored, rcx 76 left and rdi on the faulting byte; the inc done. */
static void test_stosb_fault_mid_rep(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RDI, 0x48, 0xff, 0xc3, 0xf3, 0xaa };
    uint64_t g[16] = { 0 };
    g[RAX] = 0x5a;
    g[RBX] = 5;
    g[RDI] = addr(stack_of(e) + PG - 24);
    g[RCX] = 100;
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, addr(code_of(e) + 9));
    assert_int_equal(st.gpr[RBX], 6);
    assert_int_equal(st.gpr[RCX], 76);
    assert_int_equal(st.gpr[RDI], addr(stack_of(e) + PG));
    assert_int_equal(stack_of(e)[PG - 1], 0x5a);
}

/* rep movsd with DF = 1 whose source runs off the start of the data pages: 11 dwords copied,
 * then #PF reading the unmapped page below, rcx 89 left. */
static void test_movsd_fault_on_source(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RSI, WARM_RDI, 0xf3, 0xa5 };
    uint64_t g[16] = { 0 };
    g[RSI] = addr(data_of(e) + 40);
    g[RDI] = addr(data_of(e) + PG + 2000);
    g[RCX] = 100;
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0x400, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, addr(code_of(e) + 12));
    assert_int_equal(st.gpr[RCX], 89);
    assert_int_equal(st.gpr[RSI], addr(data_of(e) - 4));
    assert_int_equal(st.gpr[RDI], addr(data_of(e) + PG + 2000 - 44));
    expect_movs(e, 40, PG + 2000, 11, 4, true);
}

/* rep stosq over 17 pages: 16 spans inline, then the handler from the registers they left. */
static void test_stosq_past_span_limit(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RDI, 0xf3, 0x48, 0xab };
    uint64_t g[16] = { 0 };
    g[RAX] = 0x0123456789abcdefull;
    g[RDI] = addr(data_of(e) + 8);
    g[RCX] = 17 * 512;
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[RCX], 0);
    assert_int_equal(st.gpr[RDI], addr(data_of(e) + 8 + 17 * PG));
    uint64_t last;
    memcpy(&last, data_of(e) + 17 * PG, 8);
    assert_int_equal(last, g[RAX]);
    assert_int_equal(data_of(e)[17 * PG + 8], pattern(17 * PG + 8));
}

/* rep stosb over the code page's unused half (the page holds this block: the handler's path),
 * then a rep with rcx = 0 (nothing stored, nothing moved). */
static void test_stos_code_page_and_zero_count(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { 0xf3, 0xaa, 0x48, 0xff, 0xc3, 0xf3, 0xaa };
    uint64_t g[16] = { 0 };
    g[RAX] = 0x90;
    g[RDI] = addr(code_of(e) + 2048);
    g[RCX] = 64;
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[RCX], 0);
    assert_int_equal(st.gpr[RDI], addr(code_of(e) + 2048 + 64));
    assert_int_equal(st.gpr[RBX], 1);
    assert_int_equal(code_of(e)[2048 + 63], 0x90);
}

/* lock rep stosb is #UD (a lock prefix on stos), with nothing stored and rcx untouched. */
static void test_lock_rep_stos_ud(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { WARM_RDI, 0xf0, 0xf3, 0xaa };
    uint64_t g[16] = { 0 };
    g[RDI] = addr(data_of(e));
    g[RCX] = 8;
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 6);
    assert_int_equal(st.gpr[RCX], 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_movsb_forward_overlap),
        cmocka_unit_test(test_stosq_backward),
        cmocka_unit_test(test_movsw_backward_overlap),
        cmocka_unit_test(test_stosb_fault_mid_rep),
        cmocka_unit_test(test_movsd_fault_on_source),
        cmocka_unit_test(test_stosq_past_span_limit),
        cmocka_unit_test(test_stos_code_page_and_zero_count),
        cmocka_unit_test(test_lock_rep_stos_ud),
    };
    return cmocka_run_group_tests(tests, menv_setup, menv_teardown);
}
