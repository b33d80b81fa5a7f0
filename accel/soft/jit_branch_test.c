/* The translator's indirect near branches and push r/m64 (jit-branch.c), each sequence run
 * interpreted and translated (jit-rig_test.h): the return address a call pushes, the target read
 * from a register or from memory through the TLB, push of the qword at rsp, and the faults: a
 * call through an unmapped pointer (#PF with rsp unmoved) and to a non-canonical target (#GP); a
 * block of pushes from memory (two slow-path stubs each). */
#include "accel/soft/jit-rig_test.h"

/* push rbx; pop rbx (the stack page into the TLB, so the call's push runs inline); lea rax,
 * [rip + 4]; call rax; jmp end; (target) mov rcx, [rsp]; add rsp, 8; jmp rcx; nop. */
static void test_call_jmp_reg(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x53, 0x5b, 0x48, 0x8d, 0x05, 0x04, 0, 0, 0, 0xff, 0xd0, 0xeb, 0x0b,
                                    0x48, 0x8b, 0x0c, 0x24, 0x48, 0x83, 0xc4, 0x08, 0xff, 0xe1, 0x90 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], (uintptr_t)e->code + 11);      /* the return address */
    assert_int_equal(st.gpr[0], (uintptr_t)e->code + 13);
    assert_int_equal(st.gpr[4], (uintptr_t)e->code + 8192 - 64);
}

/* lea rax, [rip + 9]; push rax; push qword [rsp]; pop rbx; jmp qword [rsp]; int3; (target) pop rax. */
static void test_push_jmp_mem(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0x8d, 0x05, 0x09, 0, 0, 0, 0x50, 0xff, 0x34, 0x24, 0x5b,
                                    0xff, 0x24, 0x24, 0xcc, 0x58 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[3], (uintptr_t)e->code + 16);
    assert_int_equal(st.gpr[0], (uintptr_t)e->code + 16);
    assert_int_equal(st.gpr[4], (uintptr_t)e->code + 8192 - 64);
}

/* call qword [rsi] with the pointer's page unmapped (rsi = 0): #PF at the call, rsp unmoved. Then
 * push rbx; pop rbx; call rax with rax non-canonical: #GP at the call. */
static void test_call_faults(void **state)
{
    struct env *e = *state;
    static const uint8_t unmapped[] = { 0x90, 0xff, 0x16 };
    static const uint8_t noncanon[] = { 0x53, 0x5b, 0xff, 0xd0 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, unmapped, sizeof(unmapped), &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->code + 1);
    assert_int_equal(st.gpr[4], (uintptr_t)e->code + 8192 - 64);
    assert_int_equal(run_both(e, noncanon, sizeof(noncanon), &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 13);
    assert_int_equal(st.rip, (uintptr_t)e->code + 2);
}

/* 40 x push qword [rsp] in one block: two slow-path stubs each, more than one per instruction
 * (the translator's stub table once had room for one each: found by fuzz-jit). */
static void test_many_push_mem(void **state)
{
    struct env *e = *state;
    uint8_t code[120];
    for (unsigned k = 0; k < 40; k++)
        memcpy(code + 3 * k, "\xff\x34\x24", 3);
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[4], (uintptr_t)e->code + 8192 - 64 - 320);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_jmp_reg),
        cmocka_unit_test(test_push_jmp_mem),
        cmocka_unit_test(test_call_faults),
        cmocka_unit_test(test_many_push_mem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
