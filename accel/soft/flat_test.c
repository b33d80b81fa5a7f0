/* The flat runner on small hand-assembled snippets: results, faults with precise rip, region
 * checks, self-modifying code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

struct env {
    uint8_t *code, *data;
    struct flat_region r[2];
};

static int setup(void **state)
{
    static struct env e;
    e.code = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    e.data = e.code + 4096;
    e.r[0] = (struct flat_region){ e.code, 4096, 1 };
    e.r[1] = (struct flat_region){ e.data, 4096, 1 };
    memset(e.code, 0xcc, 8192);
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    munmap(e->code, 8192);
    return 0;
}

static int run(struct env *e, const uint8_t *bytes, size_t n, struct flat_state *st, int *vec)
{
    memcpy(e->code, bytes, n);
    st->rip = (uintptr_t)e->code;
    return soft_flat_run(st, e->r, 2, (uintptr_t)e->code + n, 100000, vec, NULL);
}

/* sum 1..10 in a loop: xor eax,eax; mov ecx,10; add eax,ecx; dec ecx; jnz -5 */
static void test_loop(void **state)
{
    static const uint8_t code[] = { 0x31, 0xc0, 0xb9, 0x0a, 0, 0, 0, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa };
    struct flat_state st = { 0 };
    int vec = -1;
    assert_int_equal(run(*state, code, sizeof(code), &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[0], 55);
    assert_int_equal(st.gpr[1], 0);
    assert_true(st.rflags & 0x40);     /* ZF from the last dec */
}

/* div by zero: xor ecx,ecx; div ecx -> #DE at the div */
static void test_div_fault(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x31, 0xc9, 0xf7, 0xf1 };
    struct flat_state st = { 0 };
    int vec = -1;
    assert_int_equal(run(e, code, sizeof(code), &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 0);
    assert_int_equal(st.rip, (uintptr_t)e->code + 2);
}

/* A load from outside the regions: #PF; a store to the data page works. */
static void test_regions(void **state)
{
    struct env *e = *state;
    /* mov [rbx], rax ; mov rcx, [rdx] */
    static const uint8_t code[] = { 0x48, 0x89, 0x03, 0x48, 0x8b, 0x0a };
    struct flat_state st = { 0 };
    st.gpr[0] = 0x1122334455667788ull;
    st.gpr[3] = (uintptr_t)e->data + 8;
    st.gpr[2] = 0x1000;
    int vec = -1;
    assert_int_equal(run(e, code, sizeof(code), &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 14);
    assert_int_equal(st.rip, (uintptr_t)e->code + 3);
    uint64_t v;
    memcpy(&v, e->data + 8, 8);
    assert_int_equal(v, 0x1122334455667788ull);
}

/* Self-modifying code: the loop body rewrites an immediate that runs in the next iteration.
 *   mov ecx, 3
 * L: mov eax, imm32 (patched)      ; at offset 5, imm at 6
 *   add ebx, eax
 *   inc dword [rip + imm_of_mov]   ; patch it
 *   dec ecx
 *   jnz L */
static void test_smc(void **state)
{
    struct env *e = *state;
    uint8_t code[64];
    size_t n = 0;
    code[n++] = 0xb9; code[n++] = 3; code[n++] = 0; code[n++] = 0; code[n++] = 0;
    size_t loop = n;
    code[n++] = 0xb8; size_t imm = n; code[n++] = 1; code[n++] = 0; code[n++] = 0; code[n++] = 0;
    code[n++] = 0x01; code[n++] = 0xc3;
    code[n++] = 0xff; code[n++] = 0x05;    /* inc dword [rip+disp32] */
    int32_t disp = (int32_t)imm - (int32_t)(n + 4);
    memcpy(code + n, &disp, 4); n += 4;
    code[n++] = 0xff; code[n++] = 0xc9;
    code[n++] = 0x75; code[n] = (uint8_t)(loop - (n + 1)); n++;
    struct flat_state st = { 0 };
    int vec = -1;
    assert_int_equal(run(e, code, n, &st, &vec), FLAT_DONE);
    assert_int_equal(st.gpr[3], 1 + 2 + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_div_fault),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_smc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
