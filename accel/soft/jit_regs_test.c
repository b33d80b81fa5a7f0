/* The translator's write-back register cache (jit-regs.c): a cached guest register written in its
 * host register only must reach struct cpu at every point where something else reads it there.
 * Each case runs interpreted and translated (with no stop address where blocks should chain and
 * loop on themselves) and checks both against what the program computes: a handler reading a
 * register the block wrote (the spill before a handler call), a fault through a slow-path stub
 * and rep stos's own slow path (the stubs' spills), an instruction emitted by opcode reading it
 * in struct cpu (the spill before those), self loops faulting in a later iteration (the registers
 * they write, by a form or by opcode, counted dirty at the self entry), a self loop's way out into
 * the next block and a self loop stopped by the budget (the chain code's spills). Each fails with
 * its spill removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

/* Two pages: code, then the stack; the page after them is not mapped. */
struct env {
    uint8_t *mem;
    struct flat_region r[2];
};

static int setup(void **state)
{
    static struct env e;
    e.mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e.mem == MAP_FAILED)
        return -1;
    e.r[0] = (struct flat_region){ e.mem, 4096, 1 };
    e.r[1] = (struct flat_region){ e.mem + 4096, 4096, 1 };
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    munmap(e->mem, 8192);
    return 0;
}

/* Run code from a fresh state (rax = 0, rcx = 0, rdx = 7, rbx = 5, rsi = 0, rsp 64 bytes below the
 * stack page's end) both ways, until stop (FLAT_NO_STOP: a fault or the budget); both must end
 * alike; returns the result, the translated run's state in *out. */
static int run_both(struct env *e, const uint8_t *code, size_t n, uint64_t stop, uint64_t budget,
                    struct flat_state *out, int *vec)
{
    struct flat_state st[2];
    int rc[2], v[2] = { -1, -1 };
    for (int jit = 0; jit < 2; jit++) {
        memset(e->mem, 0xcc, 8192);
        memcpy(e->mem, code, n);
        memset(&st[jit], 0, sizeof(st[jit]));
        st[jit].rip = (uintptr_t)e->mem;
        st[jit].gpr[4] = (uintptr_t)e->mem + 8192 - 64;
        st[jit].gpr[3] = 5;
        st[jit].gpr[2] = 7;
        st[jit].rflags = 0x2;
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0 };
        rc[jit] = soft_flat_run(&st[jit], e->r, 2, stop, budget, &v[jit], &cpu);
    }
    assert_int_equal(rc[0], rc[1]);
    assert_int_equal(v[0], v[1]);
    if (rc[0] != FLAT_LIMIT) {         /* (the budget may stop the two at different points) */
        assert_memory_equal(st[0].gpr, st[1].gpr, sizeof(st[0].gpr));
        assert_int_equal(st[0].rip, st[1].rip);
    }
    *out = st[1];
    *vec = v[1];
    return rc[1];
}

/* inc rbx; inc rbx; adc rbx, [rsp]: rbx (cached: named three times) is 7 in its host register
 * only when adc, a form the translator leaves to its handler (jit_alu_rm), reads it from struct
 * cpu: rbx = 7 + the stack's 0xcc bytes + CF (0). And with an instruction by opcode (FORM_NONE)
 * in the same place, mul rbx: inc rbx; inc rbx; mov al, 3; mul rbx: rax = 3 * 7, rdx = 0. */
static void test_handler_reads_written_reg(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc3, 0x48, 0x13, 0x1c, 0x24, 0x90 };
    static const uint8_t code2[] = { 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc3, 0xb0, 0x03, 0x48, 0xf7, 0xe3 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), (uintptr_t)e->mem + sizeof(code), 1000, &st, &vec),
                     FLAT_DONE);
    assert_int_equal(st.gpr[3], 7 + 0xccccccccccccccccull);
    assert_int_equal(run_both(e, code2, sizeof(code2), (uintptr_t)e->mem + sizeof(code2), 1000, &st, &vec),
                     FLAT_DONE);
    assert_int_equal(st.gpr[0], 21);
    assert_int_equal(st.gpr[2], 0);
}

/* inc rbx; inc rbx; mov rax, [rsi] with rsi = 0: the TLB misses, the stub's handler raises #PF
 * at the load with rbx = 7 in struct cpu (SDM vol. 3, 6.5: the state of the instruction before). */
static void test_stub_fault_sees_written_reg(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc3, 0x48, 0x8b, 0x06, 0x90 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), (uintptr_t)e->mem + sizeof(code), 1000, &st, &vec),
                     FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->mem + 6);
    assert_int_equal(st.gpr[3], 7);
}

/* inc rbx; inc rbx; movzx eax, bl; inc rbx: movzx (emitted by opcode) reads bl in struct cpu,
 * which holds 7 only if the cached rbx was spilled before it. */
static void test_opcode_form_reads_written_reg(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc3, 0x0f, 0xb6, 0xc3, 0x48, 0xff, 0xc3 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), (uintptr_t)e->mem + sizeof(code), 1000, &st, &vec),
                     FLAT_DONE);
    assert_int_equal(st.gpr[0], 7);
    assert_int_equal(st.gpr[3], 8);
}

/* mov r8, 1; add r8, 1; mov rdi, rsp; mov ecx, 4; rep stosb; add r8, 1: r8 (cached, dirty, not
 * an operand of rep stos, so not spilled before it) must be stored by rep stos's one slow path,
 * taken here on the stack page's first access, before its handler: r8 = 3 at the end. */
static void test_string_stub_spills(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x49, 0xc7, 0xc0, 1, 0, 0, 0, 0x49, 0x83, 0xc0, 0x01, 0x48, 0x89, 0xe7,
                                    0xb9, 4, 0, 0, 0, 0xf3, 0xaa, 0x49, 0x83, 0xc0, 0x01 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), (uintptr_t)e->mem + sizeof(code), 1000, &st, &vec),
                     FLAT_DONE);
    assert_int_equal(st.gpr[8], 3);
    assert_int_equal(st.gpr[1], 0);
}

/* mov rdi, rsp; mov edx, 8; mov ecx, 100; L: mov rax, [rdi]; add rdi, rdx; dec rcx; jnz L: the
 * loop block jumps to itself, rdi and rcx living in host registers across iterations; the ninth
 * load is of the page after the stack: #PF there, with rdi = that page and rcx = 92 as the
 * iterations before left them. */
static void test_self_loop_fault(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0x89, 0xe7, 0xba, 8, 0, 0, 0, 0xb9, 100, 0, 0, 0,
                                    0x48, 0x8b, 0x07, 0x48, 0x01, 0xd7, 0x48, 0xff, 0xc9, 0x75, 0xf5 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), FLAT_NO_STOP, 100000, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->mem + 13);
    assert_int_equal(st.gpr[7], (uintptr_t)e->mem + 8192);
    assert_int_equal(st.gpr[1], 92);
}

/* mov rdi, rsp; mov edx, 8; xor ecx, ecx; L: mov rax, [rdi]; add rdi, rdx; not rcx; jmp L: rcx
 * is written in its host register by not, an instruction emitted by opcode, so it too must count
 * as dirty at the loop's self entry: at the #PF of the ninth load rcx = 0 (seven nots in the loop
 * after the first block's one), not the ~0 the first block left in struct cpu. */
static void test_self_loop_opcode_write(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x48, 0x89, 0xe7, 0xba, 8, 0, 0, 0, 0x31, 0xc9,
                                    0x48, 0x8b, 0x07, 0x48, 0x01, 0xd7, 0x48, 0xf7, 0xd1, 0xeb, 0xf5 };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), FLAT_NO_STOP, 100000, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->mem + 10);
    assert_int_equal(st.gpr[7], (uintptr_t)e->mem + 8192);
    assert_int_equal(st.gpr[1], 0);
}

/* mov r8d, 3; O: mov ecx, 50; L: add rbx, rdx; dec rcx; jnz L; dec r8; jnz O; ud2: each time
 * but the first the loop's way out goes straight on into the next block (by its direct link),
 * and block O reads rbx from struct cpu: at the ud2 (#UD) rbx = 5 + 150 * 7, rcx = r8 = 0. */
static void test_self_loop_exit(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x41, 0xb8, 3, 0, 0, 0, 0xb9, 50, 0, 0, 0, 0x48, 0x01, 0xd3,
                                    0x48, 0xff, 0xc9, 0x75, 0xf8, 0x49, 0xff, 0xc8, 0x75, 0xee,
                                    0x0f, 0x0b };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), FLAT_NO_STOP, 100000, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 6);
    assert_int_equal(st.rip, (uintptr_t)e->mem + 24);
    assert_int_equal(st.gpr[3], 5 + 150 * 7);
    assert_int_equal(st.gpr[1], 0);
    assert_int_equal(st.gpr[8], 0);
}

/* The same loop of 100000 iterations with a budget of 3000 instructions: the chain code leaves
 * for cpu_exec at the budget, mid-loop, with rbx and rcx of the same iteration in struct cpu,
 * hundreds of iterations on. */
static void test_self_loop_budget(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0xb9, 0xa0, 0x86, 0x01, 0x00, 0x48, 0x01, 0xd3, 0x48, 0xff, 0xc9,
                                    0x75, 0xf8, 0x0f, 0x0b };
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(e, code, sizeof(code), FLAT_NO_STOP, 3000, &st, &vec), FLAT_LIMIT);
    uint64_t iters = 100000 - st.gpr[1];
    assert_true(iters >= 900 && iters <= 1100);
    assert_int_equal(st.gpr[3], 5 + 7 * iters);
    assert_int_equal(st.rip, (uintptr_t)e->mem + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handler_reads_written_reg),
        cmocka_unit_test(test_stub_fault_sees_written_reg),
        cmocka_unit_test(test_opcode_form_reads_written_reg),
        cmocka_unit_test(test_string_stub_spills),
        cmocka_unit_test(test_self_loop_fault),
        cmocka_unit_test(test_self_loop_opcode_write),
        cmocka_unit_test(test_self_loop_exit),
        cmocka_unit_test(test_self_loop_budget),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
