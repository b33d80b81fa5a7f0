/* The translator's byte, test and one-operand register forms (jit-alu8.c) and adc/sbb with the
 * flags not live in EFLAGS (jit-alu.c's jit_carry_in): each sequence runs interpreted and
 * translated (jit-rig_test.h: both must end alike) and the values must be the SDM's (vol. 2: ADD..CMP,
 * TEST, NOT, NEG, CBW, CWD, BSWAP, MOVSXD, PUSH). Flags are read from EFLAGS (setcc right after),
 * from the lazy record (pushfq, a handler) and across instructions that keep them (not, cbw, bswap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"
#include "accel/soft/jit-rig_test.h"

#define ARITH 0x8d5ull
#define WARM 0x48, 0x89, 0x44, 0x24, 0x08, 0x4c, 0x8b, 0x44, 0x24, 0x08

/* mov eax, 0x1234; mov ecx, 0xff80; mov esi, 0x7f; cmp ah, 0x12; sete bl; add ch, 1; setc dl;
 * adc sil, 0 (7f + 1: OF); seto r8b; sub cl, ah (80 - 12: OF); seto r9b; or al, ch; sete r10b;
 * xor spl, 0; and bh, 0x0f; sbb r11b, r11b; pushfq; pop rdi. */
static void test_byte_alu(void **state)
{
    static const uint8_t code[] = {
        0xb8, 0x34, 0x12, 0x00, 0x00, 0xb9, 0x80, 0xff, 0x00, 0x00, 0xbe, 0x7f, 0x00, 0x00, 0x00,
        0x80, 0xfc, 0x12, 0x0f, 0x94, 0xc3, 0x80, 0xc5, 0x01, 0x0f, 0x92, 0xc2, 0x40, 0x80, 0xd6,
        0x00, 0x41, 0x0f, 0x90, 0xc0, 0x28, 0xe1, 0x41, 0x0f, 0x90, 0xc1, 0x08, 0xe8, 0x41, 0x0f,
        0x94, 0xc2, 0x40, 0x80, 0xf4, 0x00, 0x80, 0xe7, 0x0f, 0x45, 0x18, 0xdb, 0x9c, 0x5f };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[0], 0x1234);
    assert_int_equal(st.gpr[1], 0x6e);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[6], 0x80);
    assert_int_equal(st.gpr[8], 1);
    assert_int_equal(st.gpr[9], 1);
    assert_int_equal(st.gpr[10], 0);
    assert_int_equal(st.gpr[11], 0);
    assert_int_equal(st.gpr[7] & ARITH, 0x44);
}

/* The 16-bit register forms: mov ecx, 0xffff8000; cmp cx, 1 (OF); seto bl; add cx, -1 (CF OF);
 * setc dl; adc r9w, 0x1234; sub r9w, cx (borrow); sbb si, si; pushfq; pop rdi. */
static void test_word_alu(void **state)
{
    static const uint8_t code[] = {
        0xb9, 0x00, 0x80, 0xff, 0xff, 0x66, 0x83, 0xf9, 0x01, 0x0f, 0x90, 0xc3, 0x66, 0x83, 0xc1,
        0xff, 0x0f, 0x92, 0xc2, 0x66, 0x41, 0x81, 0xd1, 0x34, 0x12, 0x66, 0x41, 0x29, 0xc9, 0x66,
        0x19, 0xf6, 0x9c, 0x5f };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[1], 0xffff7fffull);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[9], 0x9236);
    assert_int_equal(st.gpr[6], 0xffff);
    assert_int_equal(st.gpr[7] & ARITH, 0x95);
}

/* op r8, [mem]: mov dword [rsp+8], 0x0f0f80ff; mov eax, 0x1201; mov ecx, 0x3300; mov esi, 0x40;
 * add al, [rsp+8] (CF); setc bl; or ah, [rsp+9]; sub cl, [rsp+10] (borrow); setc dl;
 * xor sil, [rsp+11]; and ch, [rsp+11]; pushfq; pop rdi. */
static void test_byte_from_memory(void **state)
{
    static const uint8_t code[] = { WARM,
        0xc7, 0x44, 0x24, 0x08, 0xff, 0x80, 0x0f, 0x0f, 0xb8, 0x01, 0x12, 0x00, 0x00, 0xb9, 0x00,
        0x33, 0x00, 0x00, 0xbe, 0x40, 0x00, 0x00, 0x00, 0x02, 0x44, 0x24, 0x08, 0x0f, 0x92, 0xc3,
        0x0a, 0x64, 0x24, 0x09, 0x2a, 0x4c, 0x24, 0x0a, 0x0f, 0x92, 0xc2, 0x40, 0x32, 0x74, 0x24,
        0x0b, 0x22, 0x6c, 0x24, 0x0b, 0x9c, 0x5f };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[0], 0x9200);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[1], 0x03f1);
    assert_int_equal(st.gpr[6], 0x4f);
    assert_int_equal(st.gpr[7] & ARITH, 0x04);
}

/* The carry in from the lazy record: mov eax, 0xffff; mov ecx, 1; add ax, cx (a handler: CF);
 * adc bl, 0; mov r8d, 7; adc r8, 0; stc; sbb r9d, r9d; stc; inc ax (CF kept in the record);
 * adc cl, 2; mov r10d, 0x80; sbb r10b, 0x80; adc ah, dh; pushfq; pop rsi. */
static void test_carry_in(void **state)
{
    static const uint8_t code[] = {
        0xb8, 0xff, 0xff, 0x00, 0x00, 0xb9, 0x01, 0x00, 0x00, 0x00, 0x66, 0x01, 0xc8, 0x80, 0xd3,
        0x00, 0x41, 0xb8, 0x07, 0x00, 0x00, 0x00, 0x49, 0x83, 0xd0, 0x00, 0xf9, 0x45, 0x19, 0xc9,
        0xf9, 0x66, 0xff, 0xc0, 0x80, 0xd1, 0x02, 0x41, 0xba, 0x80, 0x00, 0x00, 0x00, 0x41, 0x80,
        0xda, 0x80, 0x10, 0xf4, 0x9c, 0x5e };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[3], 6);
    assert_int_equal(st.gpr[8], 7);
    assert_int_equal(st.gpr[9], 0xffffffffull);
    assert_int_equal(st.gpr[0], 1);
    assert_int_equal(st.gpr[1], 4);
    assert_int_equal(st.gpr[10], 0);
    assert_int_equal(st.gpr[6] & ARITH, 0x44);
}

/* adc/sbb after an instruction that leaves the flags only in the lazy record (imul by an
 * immediate): its record is not dead, the carry in is its CF (0), not the stc's before it.
 * stc; imul ebp, ebx, 0; adc al, al; stc; imul ebp, ebx, 0; adc cx, cx; stc; imul ebp, ebx, 0;
 * sbb dl, 0. */
static void test_carry_after_record(void **state)
{
    static const uint8_t code[] = { 0xf9, 0x6b, 0xeb, 0x00, 0x10, 0xc0, 0xf9, 0x6b, 0xeb, 0x00,
                                    0x66, 0x11, 0xc9, 0xf9, 0x6b, 0xeb, 0x00, 0x80, 0xda, 0x00 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[0], 0x4000000000000002ull);
    assert_int_equal(st.gpr[1], 0);
    assert_int_equal(st.gpr[2], 7);
}

/* mov rax, -2; test al, 1; setz cl; test eax, 0x80000000; sets dl; mov ebx, 0x100; test bh, 1;
 * setnz r8b; not bh; mov esi, 5; neg esi; setc r9b; mov edi, 0x80; neg dil; seto r10b; neg ah;
 * not r11d; mov r12, 0x1122334455667788; bswap r12; mov r13d, 0x11223344; bswap r13d;
 * mov r14d, 0x8000; neg r14w; test r14, -1; pushfq; pop r15. */
static void test_test_not_neg(void **state)
{
    static const uint8_t code[] = {
        0x48, 0xc7, 0xc0, 0xfe, 0xff, 0xff, 0xff, 0xa8, 0x01, 0x0f, 0x94, 0xc1, 0xa9, 0x00, 0x00,
        0x00, 0x80, 0x0f, 0x98, 0xc2, 0xbb, 0x00, 0x01, 0x00, 0x00, 0xf6, 0xc7, 0x01, 0x41, 0x0f,
        0x95, 0xc0, 0xf6, 0xd7, 0xbe, 0x05, 0x00, 0x00, 0x00, 0xf7, 0xde, 0x41, 0x0f, 0x92, 0xc1,
        0xbf, 0x80, 0x00, 0x00, 0x00, 0x40, 0xf6, 0xdf, 0x41, 0x0f, 0x90, 0xc2, 0xf6, 0xdc, 0x41,
        0xf7, 0xd3, 0x49, 0xbc, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x49, 0x0f, 0xcc,
        0x41, 0xbd, 0x44, 0x33, 0x22, 0x11, 0x41, 0x0f, 0xcd, 0x41, 0xbe, 0x00, 0x80, 0x00, 0x00,
        0x66, 0x41, 0xf7, 0xde, 0x49, 0xf7, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x9c, 0x41, 0x5f };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 1);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[8], 1);
    assert_int_equal(st.gpr[3], 0xfe00);
    assert_int_equal(st.gpr[6], 0xfffffffbull);
    assert_int_equal(st.gpr[9], 1);
    assert_int_equal(st.gpr[7], 0x80);
    assert_int_equal(st.gpr[10], 1);
    assert_int_equal(st.gpr[0], 0xffffffffffff01feull);
    assert_int_equal(st.gpr[11], 0xffffffffull);
    assert_int_equal(st.gpr[12], 0x8877665544332211ull);
    assert_int_equal(st.gpr[13], 0x44332211ull);
    assert_int_equal(st.gpr[14], 0x8000);
    assert_int_equal(st.gpr[15] & ARITH, 0x04);
}

/* cbw, cwde, cdqe, cwd, cdq, cqo (each result copied to r8..r13); mov dword [rsp+8], -5;
 * movsxd rsi, [rsp+8]; test dword [rsp+8], 0x80000000; sets bl; push -3; pop rdi;
 * push 0x12345; pop rbp. */
static void test_convert_movsxd_push(void **state)
{
    static const uint8_t code[] = { WARM,
        0xb8, 0x80, 0x00, 0x00, 0x00, 0x66, 0x98, 0x49, 0x89, 0xc0, 0xb8, 0x00, 0x80, 0x00, 0x00,
        0x98, 0x49, 0x89, 0xc1, 0xb8, 0x00, 0x00, 0x00, 0x80, 0x48, 0x98, 0x49, 0x89, 0xc2, 0x66,
        0x99, 0x49, 0x89, 0xd3, 0x99, 0x49, 0x89, 0xd4, 0x48, 0x99, 0x49, 0x89, 0xd5, 0xc7, 0x44,
        0x24, 0x08, 0xfb, 0xff, 0xff, 0xff, 0x48, 0x63, 0x74, 0x24, 0x08, 0xf7, 0x44, 0x24, 0x08,
        0x00, 0x00, 0x00, 0x80, 0x0f, 0x98, 0xc3, 0x6a, 0xfd, 0x5f, 0x68, 0x45, 0x23, 0x01, 0x00,
        0x5d };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[8], 0xff80);
    assert_int_equal(st.gpr[9], 0xffff8000ull);
    assert_int_equal(st.gpr[10], 0xffffffff80000000ull);
    assert_int_equal(st.gpr[11], 0);
    assert_int_equal(st.gpr[12], 0xffffffffull);
    assert_int_equal(st.gpr[13], ~0ull);
    assert_int_equal(st.gpr[6], 0xfffffffffffffffbull);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[7], 0xfffffffffffffffdull);
    assert_int_equal(st.gpr[5], 0x12345);
}

/* Live flags across the forms that keep them: cmp cl, 0 (ZF); not ebx; cbw; bswap esi; cwd;
 * not r9b; setz r8b. */
static void test_keeps_flags(void **state)
{
    static const uint8_t code[] = { 0x80, 0xf9, 0x00, 0xf7, 0xd3, 0x66, 0x98, 0x0f, 0xce, 0x66,
                                    0x99, 0x41, 0xf6, 0xd1, 0x41, 0x0f, 0x94, 0xc0 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[8], 1);
    assert_int_equal(st.gpr[3], 0xfffffffaull);
    assert_int_equal(st.gpr[0], 0x4000000000000001ull);
    assert_int_equal(st.gpr[2], 0);
    assert_int_equal(st.gpr[9], 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byte_alu),
        cmocka_unit_test(test_word_alu),
        cmocka_unit_test(test_byte_from_memory),
        cmocka_unit_test(test_carry_in),
        cmocka_unit_test(test_carry_after_record),
        cmocka_unit_test(test_test_not_neg),
        cmocka_unit_test(test_convert_movsxd_push),
        cmocka_unit_test(test_keeps_flags),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
