/* The translator's bt/bts/btr/btc of registers (jit-shift.c, SDM vol. 2, BT, BTS, BTR, BTC): inline
 * after a flag writer, with the five other arithmetic flags kept (as alu.h's flags_set_cf keeps
 * them), read back live (setcc, adc, jcc), from memory after the block (pushfq, inc in the next
 * block), and behind a slow path or a #PF in the middle of the block. Each sequence runs
 * interpreted and translated (jit-rig_test.h); both must agree and give the values below. */
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

/* add rax, rax (0x8000000000000002: OF, SF); bt rax, 1 (CF); seto dl; jc +1; nop; pushfq; pop rcx:
 * OF and SF survive the bt live and in cpu->flags at the block's end. */
static void test_bt_keeps_flags(void **state)
{
    static const uint8_t code[] = { 0x48, 0x01, 0xc0, 0x48, 0x0f, 0xba, 0xe0, 0x01, 0x0f, 0x90, 0xc2,
                                    0x72, 0x01, 0x90, 0x9c, 0x59 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[2], 1);
    assert_int_equal(st.gpr[1] & ARITH, 0x881);
}

/* mov ecx, 35; cmp rdx, rbx; bts edx, ecx; setc r8b; btr rbx, 2; setc r9b; btc rdx, rcx;
 * setc r10b; bt edx, ecx; setc r11b; btc rax, 62; adc r12, 0; add r13, r13: every kind, by a
 * register and an immediate, at 32 and 64 bits (offsets modulo the size, a 32-bit result
 * zero-extended), the last one's record dead. */
static void test_bt_kinds(void **state)
{
    static const uint8_t code[] = {
        0xb9, 0x23, 0x00, 0x00, 0x00, 0x48, 0x39, 0xda, 0x0f, 0xab, 0xca, 0x41, 0x0f, 0x92, 0xc0,
        0x48, 0x0f, 0xba, 0xf3, 0x02, 0x41, 0x0f, 0x92, 0xc1, 0x48, 0x0f, 0xbb, 0xca, 0x41, 0x0f,
        0x92, 0xc2, 0x0f, 0xa3, 0xca, 0x41, 0x0f, 0x92, 0xc3, 0x48, 0x0f, 0xba, 0xf8, 0x3e, 0x49,
        0x83, 0xd4, 0x00, 0x4d, 0x01, 0xed };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[2], 0x80000000full);
    assert_int_equal(st.gpr[3], 1);
    assert_int_equal(st.gpr[0], 1);
    assert_int_equal(st.gpr[8], 0);
    assert_int_equal(st.gpr[9], 1);
    assert_int_equal(st.gpr[10], 0);
    assert_int_equal(st.gpr[11], 1);
    assert_int_equal(st.gpr[12], 1);
    assert_int_equal(st.rflags & ARITH, 0x44);
}

/* add rax, rax; bt rax, 63; jc +7; mov r8, 1; inc rbx; setc cl; seto dl: the jump taken on the bt's
 * CF, which the inc in the next block keeps. */
static void test_bt_jcc_then_inc(void **state)
{
    static const uint8_t code[] = { 0x48, 0x01, 0xc0, 0x48, 0x0f, 0xba, 0xe0, 0x3f, 0x72, 0x07, 0x49,
                                    0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00, 0x48, 0xff, 0xc3, 0x0f, 0x92,
                                    0xc1, 0x0f, 0x90, 0xc2 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[8], 0);
    assert_int_equal(st.gpr[3], 6);
    assert_int_equal(st.gpr[1], 1);
    assert_int_equal(st.gpr[2], 0);
}

/* cmp rax, [rsp] (a TLB miss: its slow path then runs the bts and setc too); bts rax, 4; setc cl;
 * adc rdx, 0. */
static void test_bt_after_slow_path(void **state)
{
    static const uint8_t code[] = { 0x48, 0x3b, 0x04, 0x24, 0x48, 0x0f, 0xba, 0xe8, 0x04, 0x0f, 0x92,
                                    0xc1, 0x48, 0x83, 0xd2, 0x00 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[0], 0x4000000000000011ull);
    assert_int_equal(st.gpr[1], 0);
    assert_int_equal(st.gpr[2], 7);
}

/* test rax, rax; btr rax, 0; setc cl; add rcx, [rbx+rdx] (12: not mapped): #PF at the add, with
 * the btr's result and CF in the registers. */
static void test_bt_then_fault(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0x85, 0xc0, 0x48, 0x0f, 0xba, 0xf0, 0x00, 0x0f, 0x92, 0xc1,
                                    0x48, 0x03, 0x0c, 0x13, 0x90 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->code + 11);
    assert_int_equal(st.gpr[0], 0x4000000000000000ull);
    assert_int_equal(st.gpr[1], 1);
}

/* add rax, rax; bt rax, 1 (CF 1); jmp; inc rbx; jmp; dec rdx; setc cl; jmp; test rax, rax;
 * bt rax, 0 (CF 0); jmp; dec rbx; setc ch; jmp; inc rdx; setc dil: inc/dec at the start of a
 * block keep the CF a bt left in cpu->flags (LF_NONE) and the one the inc/dec before kept (cin). */
static void test_incdec_keep_bt_cf(void **state)
{
    static const uint8_t code[] = {
        0x48, 0x01, 0xc0, 0x48, 0x0f, 0xba, 0xe0, 0x01, 0xeb, 0x00, 0x48, 0xff, 0xc3, 0xeb, 0x00,
        0x48, 0xff, 0xca, 0x0f, 0x92, 0xc1, 0xeb, 0x00, 0x48, 0x85, 0xc0, 0x48, 0x0f, 0xba, 0xe0,
        0x00, 0xeb, 0x00, 0x48, 0xff, 0xcb, 0x0f, 0x92, 0xc5, 0xeb, 0x00, 0x48, 0xff, 0xc2, 0x40,
        0x0f, 0x92, 0xc7 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[1], 1);            /* cl 1, ch 0 */
    assert_int_equal(st.gpr[7], 0);
    assert_int_equal(st.gpr[3], 5);
    assert_int_equal(st.gpr[2], 7);
}

/* bsf/bsr/tzcnt/lzcnt (jit-shift.c's emit_bit_scan, inline when the flags are dead: an add
 * rewrites them) of rbx = 5, of rsi = 0 (bsf/bsr leave rcx alone, tzcnt/lzcnt give the width),
 * at 64 and 32 bits, from a register and from memory (mov [rsp], rbx first). */
static void test_bit_scan(void **state)
{
    static const uint8_t scans[][5] = {
        { 0x48, 0x0f, 0xbc, 0xcb }, { 0x48, 0x0f, 0xbd, 0xcb },          /* bsf/bsr rcx, rbx */
        { 0xf3, 0x48, 0x0f, 0xbc, 0xcb }, { 0xf3, 0x48, 0x0f, 0xbd, 0xcb },  /* tzcnt/lzcnt */
        { 0x0f, 0xbc, 0xce }, { 0x0f, 0xbd, 0xce },                      /* bsf/bsr ecx, esi */
        { 0xf3, 0x0f, 0xbc, 0xce }, { 0xf3, 0x0f, 0xbd, 0xce },          /* tzcnt/lzcnt ecx, esi */
        { 0xf3, 0x48, 0x0f, 0xbc, 0xce }, { 0xf3, 0x48, 0x0f, 0xbd, 0xce },
        { 0xf3, 0x0f, 0xbd, 0xcb }, { 0x0f, 0xbd, 0x0c },                /* lzcnt ecx, ebx; bsr ecx, [rsp] */
        { 0xf3, 0x48, 0x0f, 0xbc, 0x0c }, { 0xf3, 0x0f, 0xbd, 0x0c },    /* tzcnt rcx, [rsp]; lzcnt ecx, [rsp] */
    };
    static const uint8_t len[] = { 4, 4, 5, 5, 3, 3, 4, 4, 5, 5, 4, 3, 5, 4 };
    static const uint64_t want[] = { 0, 2, 0, 61, 99, 99, 32, 32, 64, 64, 29, 2, 0, 29 };
    for (unsigned k = 0; k < sizeof(len); k++) {
        uint8_t code[32];
        unsigned n = 0;
        memcpy(code + n, "\x48\x89\x1c\x24", 4), n += 4;                /* mov [rsp], rbx */
        memcpy(code + n, "\xb9\x63\x00\x00\x00", 5), n += 5;            /* mov ecx, 99 */
        memcpy(code + n, scans[k], len[k]), n += len[k];
        if (scans[k][len[k] - 1] == 0x0c)                              /* [rsp]: the SIB byte */
            code[n++] = 0x24;
        memcpy(code + n, "\x48\x01\xd2", 3), n += 3;                    /* add rdx, rdx */
        struct flat_state st;
        int vec;
        assert_int_equal(run_both(*state, code, n, &st, &vec), FLAT_DONE);
        assert_int_equal(st.gpr[1], want[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bt_keeps_flags),
        cmocka_unit_test(test_bit_scan),
        cmocka_unit_test(test_bt_kinds),
        cmocka_unit_test(test_bt_jcc_then_inc),
        cmocka_unit_test(test_bt_after_slow_path),
        cmocka_unit_test(test_bt_then_fault),
        cmocka_unit_test(test_incdec_keep_bt_cf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
