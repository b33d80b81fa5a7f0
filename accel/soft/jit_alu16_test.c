/* The translator's 16-bit ALU ops on memory (jit-alu16.c), with a register named often enough to
 * live in a host register (jit-regs.c) and bits above its low word set, each op's flags read from
 * EFLAGS (setcc) or from the lazy record (pushfq), and a #PF in the middle of a block. Each
 * sequence runs interpreted and translated; both must agree with the values the SDM gives
 * (vol. 2, ADD..CMP). Every sequence starts with mov [rsp+8], rax; mov r8, [rsp+8], so that the
 * stack page is in the soft TLB and the forms after it take the inline path. */
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
#define ARITH 0x8d5ull

/* mov qword [rsp], fff0; mov ecx, 12340020; add [rsp], cx (10, CF); setc dl; add rcx, rcx;
 * sub word [rsp+2], 1 (83: ffff, CF SF AF PF); setc bl; pushfq; pop rsi;
 * and word [rsp+4], 8001 (81: 0, ZF); setz ah; or [rsp+8], cx (41); xor word [rsp+10], 7fff;
 * cmp cx, [rsp] (3B: 40 - 10); seta r10b; cmp word [rsp], 11 (83 /7: CF); setc r11b;
 * sub [rsp+12], cx (ffc0: CF SF PF); pushfq; pop r9; mov rdi, [rsp]; mov rbp, [rsp+8]. */
static void test_alu16_memory(void **state)
{
    static const uint8_t code[] = { WARM,
        0x48, 0xc7, 0x04, 0x24, 0xf0, 0xff, 0x00, 0x00, 0xb9, 0x20, 0x00, 0x34, 0x12,
        0x66, 0x01, 0x0c, 0x24, 0x0f, 0x92, 0xc2, 0x48, 0x01, 0xc9,
        0x66, 0x83, 0x6c, 0x24, 0x02, 0x01, 0x0f, 0x92, 0xc3, 0x9c, 0x5e,
        0x66, 0x81, 0x64, 0x24, 0x04, 0x01, 0x80, 0x0f, 0x94, 0xc4, 0x66, 0x09, 0x4c, 0x24, 0x08,
        0x66, 0x81, 0x74, 0x24, 0x0a, 0xff, 0x7f, 0x66, 0x3b, 0x0c, 0x24, 0x41, 0x0f, 0x97, 0xc2,
        0x66, 0x83, 0x3c, 0x24, 0x11, 0x41, 0x0f, 0x92, 0xc3, 0x66, 0x29, 0x4c, 0x24, 0x0c,
        0x9c, 0x41, 0x59, 0x48, 0x8b, 0x3c, 0x24, 0x48, 0x8b, 0x6c, 0x24, 0x08 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[1], 0x24680040);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[6] & ARITH, 0x95);
    assert_int_equal(st.gpr[0], 0x4000000000000101ull);
    assert_int_equal(st.gpr[10], 1);
    assert_int_equal(st.gpr[11], 1);
    assert_int_equal(st.gpr[9] & ARITH, 0x85);
    assert_int_equal(st.gpr[7], 0xffff0010ull);
    assert_int_equal(st.gpr[5], 0x4000ffc07fff0041ull);
}

/* mov qword [rsp], 3; add word [rsp], 100; mov rcx, [rsp]; sub [rbx], cx (rbx = 5: not mapped):
 * #PF at the sub, rcx from the add. */
static void test_alu16_fault_in_block(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { WARM, 0x48, 0xc7, 0x04, 0x24, 0x03, 0x00, 0x00, 0x00,
                                    0x66, 0x81, 0x04, 0x24, 0x00, 0x01, 0x48, 0x8b, 0x0c, 0x24,
                                    0x66, 0x29, 0x0b, 0x90 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->code + sizeof(code) - 4);
    assert_int_equal(st.gpr[1], 0x103);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu16_memory),
        cmocka_unit_test(test_alu16_fault_in_block),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
