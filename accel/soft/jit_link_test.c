/* Direct links between translated blocks (jit-link.c): loops whose blocks end in jmp, jcc and call
 * run with no stop address (so blocks chain and link as in a VM), interpreted and translated, and
 * both must end alike and as the program says: a linked loop, a link whose target block's page is
 * rewritten after it was linked (the direct entry must leave and the site be relinked to the new
 * block), a linked endless loop that must still stop at the instruction budget, the bench's
 * branchy loop, jcc's on lazy flags at a block's start and a jcc with a slow path before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

/* Three pages: code, more code, stack. */
struct env {
    uint8_t *mem;
    struct flat_region r[3];
};

static int setup(void **state)
{
    static struct env e;
    e.mem = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e.mem == MAP_FAILED)
        return -1;
    for (int k = 0; k < 3; k++)
        e.r[k] = (struct flat_region){ e.mem + 4096 * k, 4096, 1 };
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    munmap(e->mem, 3 * 4096);
    return 0;
}

/* Page 0 and page 1 get p0 and p1; run from page 0 (rbx = 5, rsp at the top of page 2) until a
 * fault (the int3s around the code) or max instructions, interpreted and translated; both must end
 * alike. Returns the translated run's result. */
static int run_both(struct env *e, const uint8_t *p0, size_t n0, const uint8_t *p1, size_t n1,
                    uint64_t max, struct flat_state *out, int *vec)
{
    struct flat_state st[2];
    int rc[2], v[2] = { -1, -1 };
    for (int jit = 0; jit < 2; jit++) {
        memset(e->mem, 0xcc, 3 * 4096);
        memcpy(e->mem, p0, n0);
        memcpy(e->mem + 4096, p1, n1);
        memset(&st[jit], 0, sizeof(st[jit]));
        st[jit].rip = (uintptr_t)e->mem;
        st[jit].gpr[4] = (uintptr_t)e->mem + 3 * 4096 - 64;
        st[jit].gpr[3] = 5;
        st[jit].rflags = 0x2;
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0 };
        rc[jit] = soft_flat_run(&st[jit], e->r, 3, FLAT_NO_STOP, max, &v[jit], &cpu);
    }
    assert_int_equal(rc[0], rc[1]);
    assert_int_equal(v[0], v[1]);
    assert_memory_equal(st[0].gpr, st[1].gpr, sizeof(st[0].gpr));
    assert_int_equal(st[0].rip, st[1].rip);
    assert_int_equal(st[0].rflags & 0x8d5, st[1].rflags & 0x8d5);
    *out = st[1];
    *vec = v[1];
    return rc[1];
}

/* A rel32 from the end of an instruction at page offset `at` (length len) in page `from` to page
 * offset `to` in page `dest`. */
static void rel32(uint8_t *code, unsigned at, unsigned len, int from, int dest, unsigned to)
{
    int32_t d = (int32_t)(4096 * dest + (int)to) - (int32_t)(4096 * from + (int)(at + len));
    memcpy(code + at + len - 4, &d, 4);
}

/* Page 0: mov ecx, 40; L: call B (page 1); dec ecx; cmp ecx, 20; jne S; mov dword [B + 1], 7;
 * S: test ecx, ecx; jnz L; int3. Page 1: B: mov eax, 1; add rbx, rax; ret. B's mov is rewritten
 * half way, after call's site is linked to B's block: the other twenty rounds must add 7. */
static void test_link_target_rewritten(void **state)
{
    uint8_t p0[] = { 0xb9, 40, 0, 0, 0,                       /* 0: mov ecx, 40 */
                     0xe8, 0, 0, 0, 0,                        /* 5: call B */
                     0xff, 0xc9,                              /* 10: dec ecx */
                     0x83, 0xf9, 20,                          /* 12: cmp ecx, 20 */
                     0x75, 10,                                /* 15: jne S (27) */
                     0xc7, 0x05, 0, 0, 0, 0, 7, 0, 0, 0,      /* 17: mov dword [rip + d], 7 */
                     0x85, 0xc9,                              /* 27: test ecx, ecx */
                     0x75, 0xe6,                              /* 29: jnz L (5) */
                     0xcc };
    uint8_t p1[] = { 0xb8, 1, 0, 0, 0,                        /* B: mov eax, 1 */
                     0x48, 0x01, 0xc3,                        /* add rbx, rax */
                     0xc3 };                                  /* ret */
    rel32(p0, 5, 5, 0, 1, 0);
    int32_t d = 4096 + 1 - 27;                                /* [B + 1] from the end of the mov */
    memcpy(p0 + 19, &d, 4);
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, p0, sizeof(p0), p1, sizeof(p1), 100000, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 3);
    assert_int_equal(st.gpr[3], 5 + 20 * 1 + 20 * 7);
    assert_int_equal(st.gpr[1], 0);
}

/* Page 0: L: add rbx, 3; jmp M (page 1). Page 1: M: dec ecx; jnz L; int3 (ecx = 0: 2^32 rounds,
 * far past the budget). The two blocks link to each other; the run must stop at the budget. */
static void test_linked_loop_stops_at_budget(void **state)
{
    uint8_t p0[] = { 0x48, 0x83, 0xc3, 3, 0xe9, 0, 0, 0, 0 };
    uint8_t p1[] = { 0xff, 0xc9, 0x0f, 0x85, 0, 0, 0, 0, 0xcc };
    rel32(p0, 4, 5, 0, 1, 0);
    rel32(p1, 2, 6, 1, 0, 0);
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, p0, sizeof(p0), p1, sizeof(p1), 40000, &st, &vec), FLAT_LIMIT);
    assert_true(st.gpr[3] > 5 + 3 * 9000);
    assert_true(st.gpr[3] <= 5 + 3 * 10000);
}

/* Page 0: mov edx, 50; O: mov ecx, 20; L: add rbx, rcx; jmp M (page 1). Page 1: M: sub ecx, 1;
 * jnz L (page 0); dec edx; jnz O (page 0); int3. Both successors of M's jnz are taken often
 * enough to be linked, and so is the outer jnz's. */
static void test_linked_loop_both_successors(void **state)
{
    uint8_t p0[] = { 0xba, 50, 0, 0, 0, 0xb9, 20, 0, 0, 0, 0x48, 0x01, 0xcb, 0xe9, 0, 0, 0, 0 };
    uint8_t p1[] = { 0x83, 0xe9, 1, 0x0f, 0x85, 0, 0, 0, 0, 0xff, 0xca, 0x0f, 0x85, 0, 0, 0, 0, 0xcc };
    rel32(p0, 13, 5, 0, 1, 0);
    rel32(p1, 3, 6, 1, 0, 10);
    rel32(p1, 11, 6, 1, 0, 5);
    struct flat_state st;
    int vec;
    assert_int_equal(run_both(*state, p0, sizeof(p0), p1, sizeof(p1), 100000, &st, &vec), FLAT_FAULT);
    assert_int_equal(vec, 3);
    assert_int_equal(st.gpr[3], 5 + 50 * (20 * 21 / 2));
}

/* One page of code: run_both with page 1 left empty. */
static int run_one(void **state, const uint8_t *code, size_t n, struct flat_state *st)
{
    static const uint8_t none[1] = { 0xcc };
    int vec;
    int rc = run_both(*state, code, n, none, 0, 1000000, st, &vec);
    assert_int_equal(vec, 3);
    return rc;
}

/* The bench's branchy loop (tests/isa/bench/loops.h), 2000 rounds: mov ecx, 2000; mov rsi, M;
 * mov edi, 12345; 1: imul rdi, rsi; add rdi, 1442695; bt rdi, 40; jc 2f; inc rdx; jmp 3f; 2: dec rdx;
 * nop; 3: dec ecx; jnz 1b; int3. Its jcc's end their blocks on the host's flags (a bt's, a dec's):
 * the chain code branches on them, each way to its own link. */
static void test_branchy_loop(void **state)
{
    static const uint8_t code[] = { 0xb9, 0xd0, 0x07, 0x00, 0x00,
                                    0x48, 0xbe, 0x2d, 0x7f, 0x95, 0x4c, 0x2d, 0xf4, 0x51, 0x58,
                                    0xbf, 0x39, 0x30, 0x00, 0x00,
                                    0x48, 0x0f, 0xaf, 0xfe, 0x48, 0x81, 0xc7, 0x87, 0x03, 0x16, 0x00,
                                    0x48, 0x0f, 0xba, 0xe7, 0x28, 0x72, 0x05, 0x48, 0xff, 0xc2,
                                    0xeb, 0x04, 0x48, 0xff, 0xca, 0x90, 0xff, 0xc9, 0x75, 0xe1, 0xcc };
    uint64_t x = 12345, cnt = 0;
    for (int k = 0; k < 2000; k++) {
        x = x * 6364136223846793005ull + 1442695;
        cnt += (x >> 40) & 1 ? (uint64_t)-1 : 1;
    }
    struct flat_state st;
    assert_int_equal(run_one(state, code, sizeof(code), &st), FLAT_FAULT);
    assert_int_equal(st.gpr[2], cnt);
    assert_int_equal(st.gpr[1], 0);
}

/* mov rax, 0xc000000000000001; mov ecx, 30; 1: add rdx, rcx; dec ecx; jmp 2f; 2: jnz 1b;
 * shl rax, 1; jmp 3f; 3: jc 4f; inc rbx; 4: nop; int3: jumps at the start of their block, on
 * flags only in the lazy record (dec's, shl's), both ways of each taken. */
static void test_jcc_on_lazy_flags(void **state)
{
    static const uint8_t code[] = { 0x48, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0xc0,
                                    0xb9, 0x1e, 0x00, 0x00, 0x00, 0x48, 0x01, 0xca, 0xff, 0xc9, 0xeb,
                                    0x00, 0x75, 0xf7, 0x48, 0xd1, 0xe0, 0xeb, 0x00, 0x72, 0x03, 0x48,
                                    0xff, 0xc3, 0x90, 0xcc };
    struct flat_state st;
    assert_int_equal(run_one(state, code, sizeof(code), &st), FLAT_FAULT);
    assert_int_equal(st.gpr[2], 30 * 31 / 2);
    assert_int_equal(st.gpr[0], 0x8000000000000002ull);
    assert_int_equal(st.gpr[3], 5);
}

/* mov ecx, 50; 1: call 2f; dec ecx; jnz 1b; jmp 3f; 2: add rdx, rcx; cmp rdx, [rsp+8]; jb 4f; ret;
 * 4: ret; 3: nop; int3: a jb on a compare with memory (whose slow path runs the jb too, so the jb
 * is left to a cmov), calls and returns between linked blocks. */
static void test_slow_paths_before_links(void **state)
{
    static const uint8_t code[] = { 0xb9, 0x32, 0x00, 0x00, 0x00, 0xe8, 0x06, 0x00, 0x00, 0x00, 0xff,
                                    0xc9, 0x75, 0xf7, 0xeb, 0x0c, 0x48, 0x01, 0xca, 0x48, 0x3b, 0x54,
                                    0x24, 0x08, 0x72, 0x01, 0xc3, 0xc3, 0x90, 0xcc };
    struct flat_state st;
    assert_int_equal(run_one(state, code, sizeof(code), &st), FLAT_FAULT);
    assert_int_equal(st.gpr[2], 50 * 51 / 2);
    assert_int_equal(st.gpr[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_target_rewritten),
        cmocka_unit_test(test_linked_loop_stops_at_budget),
        cmocka_unit_test(test_linked_loop_both_successors),
        cmocka_unit_test(test_branchy_loop),
        cmocka_unit_test(test_jcc_on_lazy_flags),
        cmocka_unit_test(test_slow_paths_before_links),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
