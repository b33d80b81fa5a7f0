/* The translator's locked read-modify-writes (jit-lock.c) against the interpreter's (op-alu.c,
 * op-mov.c): each op's memory result and its flags (pushfq after it), all four sizes, AH as a
 * source, cmpxchg that matches and that does not (the accumulator written, zero-extended at 32
 * bits), flags read live by setcc, a dead lazy record, misaligned and page-crossing operands (the
 * handler's path) and a #PF on a locked op in the middle of a block (SDM vol. 2, LOCK, XADD,
 * CMPXCHG, XCHG). */
#include "accel/soft/jit_mem_test.h"

#define WARM_RDI 0x4c, 0x8b, 0x3f, 0x4c, 0x89, 0x3f   /* mov r15, [rdi]; mov [rdi], r15 */
#define FLAGS_R(n) 0x9c, 0x41, 0x58 + (n)              /* pushfq; pop r8+n */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static uint64_t addr(const void *p) { return (uintptr_t)p; }

static uint64_t data_q(struct menv *e, size_t off)
{
    uint64_t v;
    memcpy(&v, data_of(e) + off, 8);
    return v;
}

static uint64_t pattern_q(size_t off)
{
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = v << 8 | pattern(off + (size_t)b);
    return v;
}

/* lock add/sub/or/and/xor and lock inc/dec (CF kept from stc) at 8, 4, 1 and 2 bytes. */
static void test_lock_alu(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = {
        WARM_RDI,
        0xf0, 0x48, 0x01, 0x1f, FLAGS_R(0),                    /* lock add [rdi], rbx */
        0xf0, 0x29, 0x57, 0x08, FLAGS_R(1),                    /* lock sub [rdi+8], edx */
        0xf0, 0x08, 0x67, 0x10, FLAGS_R(2),                    /* lock or [rdi+16], ah */
        0xf0, 0x66, 0x81, 0x67, 0x12, 0xf0, 0x0f, FLAGS_R(3),  /* lock and word [rdi+18], 0xff0 */
        0xf0, 0x48, 0x83, 0x77, 0x18, 0xff, FLAGS_R(4),        /* lock xor qword [rdi+24], -1 */
        0xf9, 0xf0, 0xff, 0x47, 0x20, 0x0f, 0x92, 0xc3,        /* stc; lock inc dword [rdi+32]; */
        FLAGS_R(5),                                            /* setc bl (the live flags) */
        0xf0, 0xfe, 0x4f, 0x28, 0x0f, 0x92, 0xc7, FLAGS_R(6),  /* lock dec byte [rdi+40]; setc bh */
    };
    uint64_t g[16] = { 0 };
    g[RAX] = 0x9a00;
    g[RBX] = 5;
    g[RDX] = 0x7fffffff;
    g[RDI] = addr(data_of(e) + 64);
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_DONE);
    assert_int_equal(data_q(e, 64), pattern_q(64) + 5);
    assert_int_equal(data_q(e, 88), ~pattern_q(88));
    assert_int_equal(st.gpr[R13] & 1, 1);                     /* inc kept CF */
    assert_int_equal(st.gpr[RBX] & 0xffff, 0x0101);           /* setc after inc, after dec */
}

/* xadd (locked and not), cmpxchg matching and not, xchg; setcc on the live flags of a lock sub;
 * lock xadd whose flags the next add rewrites. */
static void test_xadd_cmpxchg_xchg(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = {
        WARM_RDI,
        0xf0, 0x48, 0x0f, 0xc1, 0x1f, FLAGS_R(0),              /* lock xadd [rdi], rbx */
        0x0f, 0xc0, 0x77, 0x08, FLAGS_R(1),                    /* xadd [rdi+8], dh */
        0x8b, 0x47, 0x10,                                      /* mov eax, [rdi+16] */
        0xf0, 0x0f, 0xb1, 0x4f, 0x10, FLAGS_R(2),              /* lock cmpxchg [rdi+16], ecx */
        0xf0, 0x48, 0x0f, 0xb1, 0x4f, 0x18, FLAGS_R(3),        /* lock cmpxchg [rdi+24], rcx */
        0xf0, 0x66, 0x0f, 0xb1, 0x4f, 0x20, FLAGS_R(4),        /* lock cmpxchg [rdi+32], cx */
        0x48, 0xb8, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,        /* mov rax, 0xffffffff00000007 */
        0xf0, 0x0f, 0xb1, 0x4f, 0x38, FLAGS_R(5),              /* lock cmpxchg [rdi+56], ecx */
        0x86, 0x5f, 0x28,                                      /* xchg [rdi+40], bl */
        0x44, 0x87, 0x4f, 0x30,                                /* xchg [rdi+48], r9d */
        0xf0, 0x48, 0x29, 0x1f, 0x0f, 0x92, 0xc1, 0x0f, 0x94, 0xc2,  /* lock sub; setb cl; sete dl */
        0xf0, 0x0f, 0xc1, 0x1f, 0x48, 0x01, 0xf6, FLAGS_R(6),  /* lock xadd [rdi], ebx; add rsi, rsi */
    };
    uint64_t g[16] = { 0 };
    g[RBX] = 5;
    g[RCX] = 0xabcdef;
    g[RDX] = 0x3300;
    g[RSI] = 0x4000000000000000ull;
    g[RDI] = addr(data_of(e) + 64);
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[R10] & 0x40, 0x40);               /* the first cmpxchg matched */
    assert_int_equal(data_q(e, 80) & 0xffffffff, 0xabcdef);
    assert_int_equal(st.gpr[RAX], data_q(e, 120) & 0xffffffff);   /* no match: eax, zero-extended */
}

/* Misaligned and page-crossing locked operands: the handler's path, same results. */
static void test_lock_misaligned(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = {
        WARM_RDI,
        0xf0, 0x48, 0x01, 0x5f, 0x03, FLAGS_R(0),              /* lock add [rdi+3], rbx */
        0xf0, 0x41, 0x01, 0x16, FLAGS_R(1),                    /* lock add [r14], edx */
        0xf0, 0x0f, 0xc1, 0x57, 0x05, FLAGS_R(2),              /* lock xadd [rdi+5], edx */
    };
    uint64_t g[16] = { 0 };
    g[RBX] = 0xfff;
    g[RDX] = 0x80000001;
    g[RDI] = addr(data_of(e) + 64);
    g[R14] = addr(data_of(e) + PG - 2);
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_DONE);
}

/* inc rbx; lock add [rsi], rdx with rsi unmapped: #PF at the lock add, the inc done. */
static void test_lock_fault_mid_block(void **state)
{
    struct menv *e = *state;
    static const uint8_t code[] = { 0x48, 0xff, 0xc3, 0xf0, 0x48, 0x01, 0x16, 0x90 };
    uint64_t g[16] = { 0 };
    g[RBX] = 5;
    g[RSI] = addr(hole_of(e) + 8);
    struct flat_state st;
    int vec;
    assert_int_equal(run_mem(e, code, sizeof(code), g, 0, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, addr(code_of(e) + 3));
    assert_int_equal(st.gpr[RBX], 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_alu),
        cmocka_unit_test(test_xadd_cmpxchg_xchg),
        cmocka_unit_test(test_lock_misaligned),
        cmocka_unit_test(test_lock_fault_mid_block),
    };
    return cmocka_run_group_tests(tests, menv_setup, menv_teardown);
}
