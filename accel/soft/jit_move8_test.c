/* The translator's byte and word moves (jit-move8.c) on sequences that put them next to the
 * register cache (jit-regs.c): a register named by two or more instructions of the block lives in a
 * host register, and an 8/16-bit write must keep the upper bits and update (low byte, word) or drop
 * (AH..BH) the host copy; also the ALU ops on a byte in memory (jit-alu.c). Each sequence runs
 * interpreted and translated; both must agree with the values the SDM gives (vol. 1, 3.4.1.1;
 * vol. 2, MOV, ADD..CMP). Every sequence starts with
 * mov [rsp+8], rax; mov r8, [rsp+8], so that the stack page is in the soft TLB and the moves after
 * it take the inline path, not the slow path's handler. */
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

/* mov rcx, rax; add rcx, rcx; mov [rsp], rcx; mov ch, [rsp]; add rcx, rcx: ch <- 02 in cached rcx,
 * whose host copy must go: (0x8000000000000002 | 0x200) doubled. */
static void test_load_high_byte_cached(void **state)
{
    static const uint8_t code[] = { WARM, 0x48, 0x89, 0xc1, 0x48, 0x01, 0xc9, 0x48, 0x89, 0x0c, 0x24,
                                    0x8a, 0x2c, 0x24, 0x48, 0x01, 0xc9 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 0x404);
}

/* mov rcx, rax; add rcx, rcx; mov byte [rsp], 7f; mov cl, [rsp]; add rcx, rdx: the low byte
 * merged into cached rcx, the upper 56 bits kept. */
static void test_load_low_byte_cached(void **state)
{
    static const uint8_t code[] = { WARM, 0x48, 0x89, 0xc1, 0x48, 0x01, 0xc9, 0xc6, 0x04, 0x24, 0x7f,
                                    0x8a, 0x0c, 0x24, 0x48, 0x01, 0xd1 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 0x8000000000000086ull);
}

/* mov r9, rax; add r9, r9; mov word [rsp], beef; mov r9w, [rsp]; mov si, r9w; add r9, r9: word
 * load into cached r9 (REX.R), a 16-bit register move, the upper 48 bits kept. */
static void test_word_moves_cached(void **state)
{
    static const uint8_t code[] = { WARM, 0x49, 0x89, 0xc1, 0x4d, 0x01, 0xc9,
                                    0x66, 0xc7, 0x04, 0x24, 0xef, 0xbe, 0x66, 0x44, 0x8b, 0x0c, 0x24,
                                    0x66, 0x44, 0x89, 0xce, 0x4d, 0x01, 0xc9 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[9], 0x17ddeull);
    assert_int_equal(st.gpr[6], 0xbeef);
}

/* mov rdi, rax; add rdi, rdi; mov byte [rsp], 55; mov dil, [rsp] (REX: dil, not bh); mov ah, bl;
 * add rdi, rdi; add rax, rax. */
static void test_rex_byte_and_ah(void **state)
{
    static const uint8_t code[] = { WARM, 0x48, 0x89, 0xc7, 0x48, 0x01, 0xff, 0xc6, 0x04, 0x24, 0x55,
                                    0x40, 0x8a, 0x3c, 0x24, 0x88, 0xdc, 0x48, 0x01, 0xff,
                                    0x48, 0x01, 0xc0 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[7], 0xaa);
    assert_int_equal(st.gpr[0], 0x8000000000000a02ull);
    assert_int_equal(st.gpr[3], 5);
}

/* mov rcx, rdx; add rcx, rcx; mov bh, dl; mov [rsp], cl; mov [rsp+1], bh;
 * mov word [rsp+2], 1234; mov rax, [rsp]: byte stores from a cached low byte and from BH, a word
 * store of an immediate; the stack's 0xcc above them. */
static void test_byte_word_stores(void **state)
{
    static const uint8_t code[] = { WARM, 0x48, 0x89, 0xd1, 0x48, 0x01, 0xc9, 0x88, 0xd7,
                                    0x88, 0x0c, 0x24, 0x88, 0x7c, 0x24, 0x01,
                                    0x66, 0xc7, 0x44, 0x24, 0x02, 0x34, 0x12, 0x48, 0x8b, 0x04, 0x24 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[0], 0xcccccccc1234070eull);
    assert_int_equal(st.gpr[3], 0x705);
}

/* Faults in the middle of a block after a byte write to cached rcx: mov rcx, rax; add rcx, rcx;
 * mov cl, [rsp]; then mov [rbx], cl or mov cx, [rbx] (rbx = 5: not mapped): #PF there with the
 * state before it. */
static void test_fault_after_byte_write(void **state)
{
    struct env *e = *state;
    static const uint8_t store[] = { WARM, 0x48, 0x89, 0xc1, 0x48, 0x01, 0xc9, 0x8a, 0x0c, 0x24,
                                     0x88, 0x0b, 0x90 };
    static const uint8_t load[] = { WARM, 0x48, 0x89, 0xc1, 0x48, 0x01, 0xc9, 0x8a, 0x0c, 0x24,
                                    0x66, 0x8b, 0x0b, 0x90 };
    const uint8_t *codes[] = { store, load };
    size_t lens[] = { sizeof(store), sizeof(load) };
    for (int k = 0; k < 2; k++) {
        struct flat_state st;
        int vec;
        assert_int_equal(run_both(e, codes[k], lens[k], &st, &vec), FLAT_FAULT);
        assert_int_equal(vec, 14);
        assert_int_equal(st.rip, (uintptr_t)e->code + NWARM + 9);
        assert_int_equal(st.gpr[1], 0x80000000000000ccull);
    }
}

/* ALU ops on a byte in memory (jit-alu.c's emit_alu_m8) with AH as a source and their flags read
 * right after: mov byte [rsp], f0; mov ah, 20; add [rsp], ah (10, CF); setc cl; sub byte [rsp], 11
 * (ff, CF); setc dl; cmp ah, [rsp] (20 - ff: CF); setb bl; movzx rsi, byte [rsp]. */
static void test_alu_byte_memory(void **state)
{
    static const uint8_t code[] = { WARM, 0xc6, 0x04, 0x24, 0xf0, 0xb4, 0x20, 0x00, 0x24, 0x24,
                                    0x0f, 0x92, 0xc1, 0x80, 0x2c, 0x24, 0x11, 0x0f, 0x92, 0xc2,
                                    0x3a, 0x24, 0x24, 0x0f, 0x92, 0xc3, 0x48, 0x0f, 0xb6, 0x34, 0x24 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 1);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[6], 0xff);
    assert_int_equal(st.gpr[0], 0x4000000000002001ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_high_byte_cached),
        cmocka_unit_test(test_load_low_byte_cached),
        cmocka_unit_test(test_word_moves_cached),
        cmocka_unit_test(test_rex_byte_and_ah),
        cmocka_unit_test(test_byte_word_stores),
        cmocka_unit_test(test_fault_after_byte_write),
        cmocka_unit_test(test_alu_byte_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
