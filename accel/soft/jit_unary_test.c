/* The translator's one-operand read-modify-write forms on memory (jit-unary.c): inc/dec, not and
 * neg at 8, 16, 32 and 64 bits, each followed by a read of its flags from EFLAGS (setcc) or from
 * the lazy record (pushfq after a handler boundary), and a #PF in the middle of a block. Each
 * sequence runs interpreted and translated; both must agree with the values the SDM gives
 * (vol. 2, INC, DEC, NOT, NEG). Every sequence starts with mov [rsp+8], rax; mov r8, [rsp+8], so
 * that the stack page is in the soft TLB and the forms after it take the inline path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"
#include "accel/soft/jit-rig_test.h"

#define WARM 0x48, 0x89, 0x44, 0x24, 0x08, 0x4c, 0x8b, 0x44, 0x24, 0x08
#define NWARM 10
#define ARITH 0x8d5ull

/* mov qword [rsp], -1; stc; inc byte [rsp] (ff -> 0: ZF AF PF, CF kept); setc cl; pushfq; pop rsi;
 * inc word [rsp+2]; dec dword [rsp+4]; setc dl; mov byte [rsp+9], 80; dec byte [rsp+9] (OF);
 * seto bl; inc qword [rsp+8]; pushfq; pop r9; mov rdi, [rsp]; mov rbp, [rsp+8]. */
static void test_incdec_widths(void **state)
{
    static const uint8_t code[] = { WARM,
        0x48, 0xc7, 0x04, 0x24, 0xff, 0xff, 0xff, 0xff, 0xf9, 0xfe, 0x04, 0x24, 0x0f, 0x92, 0xc1,
        0x9c, 0x5e, 0x66, 0xff, 0x44, 0x24, 0x02, 0xff, 0x4c, 0x24, 0x04, 0x0f, 0x92, 0xc2,
        0xc6, 0x44, 0x24, 0x09, 0x80, 0xfe, 0x4c, 0x24, 0x09, 0x0f, 0x90, 0xc3,
        0x48, 0xff, 0x44, 0x24, 0x08, 0x9c, 0x41, 0x59, 0x48, 0x8b, 0x3c, 0x24,
        0x48, 0x8b, 0x6c, 0x24, 0x08 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 1);
    assert_int_equal(st.gpr[6] & ARITH, 0x55);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[9] & ARITH, 0x01);
    assert_int_equal(st.gpr[7], 0xfffffffe0000ff00ull);
    assert_int_equal(st.gpr[5], 0x4000000000007f02ull);
}

/* mov qword [rsp], 80; neg byte [rsp] (80: CF OF SF); seto cl; pushfq; pop rsi; neg word [rsp+2]
 * (0: ZF, no CF); setz dl; mov dword [rsp+4], 5; neg dword [rsp+4]; setc bl; neg qword [rsp+8];
 * inc byte [rsp+1] (CF from the neg kept); setc ah; pushfq; pop r9; mov rdi, [rsp];
 * mov rbp, [rsp+8]. */
static void test_neg_widths(void **state)
{
    static const uint8_t code[] = { WARM,
        0x48, 0xc7, 0x04, 0x24, 0x80, 0x00, 0x00, 0x00, 0xf6, 0x1c, 0x24, 0x0f, 0x90, 0xc1,
        0x9c, 0x5e, 0x66, 0xf7, 0x5c, 0x24, 0x02, 0x0f, 0x94, 0xc2,
        0xc7, 0x44, 0x24, 0x04, 0x05, 0x00, 0x00, 0x00, 0xf7, 0x5c, 0x24, 0x04, 0x0f, 0x92, 0xc3,
        0x48, 0xf7, 0x5c, 0x24, 0x08, 0xfe, 0x44, 0x24, 0x01, 0x0f, 0x92, 0xc4,
        0x9c, 0x41, 0x59, 0x48, 0x8b, 0x3c, 0x24, 0x48, 0x8b, 0x6c, 0x24, 0x08 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 1);
    assert_int_equal(st.gpr[6] & ARITH, 0x881);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[0], 0x4000000000000101ull);
    assert_int_equal(st.gpr[9] & ARITH, 0x01);
    assert_int_equal(st.gpr[7], 0xfffffffb00000180ull);
    assert_int_equal(st.gpr[5], 0xbfffffffffffffffull);
}

/* mov qword [rsp], 1234; cmp rbx, rdx (5 - 7: CF AF SF); not byte [rsp]; not word [rsp+2];
 * setc cl; not dword [rsp+4]; not qword [rsp+8]; sets dl; pushfq; pop rsi; mov rdi, [rsp];
 * mov rbp, [rsp+8]: not leaves the flags as they were. */
static void test_not_widths(void **state)
{
    static const uint8_t code[] = { WARM,
        0x48, 0xc7, 0x04, 0x24, 0x34, 0x12, 0x00, 0x00, 0x48, 0x39, 0xd3, 0xf6, 0x14, 0x24,
        0x66, 0xf7, 0x54, 0x24, 0x02, 0x0f, 0x92, 0xc1, 0xf7, 0x54, 0x24, 0x04,
        0x48, 0xf7, 0x54, 0x24, 0x08, 0x0f, 0x98, 0xc2, 0x9c, 0x5e, 0x48, 0x8b, 0x3c, 0x24,
        0x48, 0x8b, 0x6c, 0x24, 0x08 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 1);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[6] & ARITH, 0x91);
    assert_int_equal(st.gpr[7], 0xffffffffffff12cbull);
    assert_int_equal(st.gpr[5], 0xbffffffffffffffeull);
}

/* #PF in the middle of a block (rbx = 5, rbx + rdx = 12: not mapped) after an inline form:
 * mov qword [rsp], 3; <form on [rsp]>; mov rcx, [rsp]; <form on [rbx]>: the fault at the second
 * form, with rcx from the first. */
static void test_fault_in_block(void **state)
{
    struct env *e = *state;
    static const uint8_t inc_neg[] = { WARM, 0x48, 0xc7, 0x04, 0x24, 0x03, 0x00, 0x00, 0x00,
                                       0xfe, 0x04, 0x24, 0x48, 0x8b, 0x0c, 0x24, 0x66, 0xf7, 0x1b, 0x90 };
    static const uint8_t neg_dec[] = { WARM, 0x48, 0xc7, 0x04, 0x24, 0x03, 0x00, 0x00, 0x00,
                                       0xf7, 0x1c, 0x24, 0x48, 0x8b, 0x0c, 0x24, 0xfe, 0x0c, 0x13, 0x90 };
    static const uint8_t not_not[] = { WARM, 0x48, 0xc7, 0x04, 0x24, 0x03, 0x00, 0x00, 0x00,
                                       0x48, 0xf7, 0x14, 0x24, 0x48, 0x8b, 0x0c, 0x24, 0x66, 0xf7, 0x13, 0x90 };
    const uint8_t *codes[] = { inc_neg, neg_dec, not_not };
    size_t lens[] = { sizeof(inc_neg), sizeof(neg_dec), sizeof(not_not) };
    uint64_t rcx[] = { 4, 0xfffffffdull, 0xfffffffffffffffcull };
    for (int k = 0; k < 3; k++) {
        struct flat_state st;
        int vec;
        assert_int_equal(run_both(e, codes[k], lens[k], &st, &vec), FLAT_FAULT);
        assert_int_equal(vec, 14);
        assert_int_equal(st.rip, (uintptr_t)e->code + lens[k] - 4);
        assert_int_equal(st.gpr[1], rcx[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incdec_widths),
        cmocka_unit_test(test_neg_widths),
        cmocka_unit_test(test_not_widths),
        cmocka_unit_test(test_fault_in_block),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
