/* The rig of the translator's unit tests (jit_test.c, jit_move8_test.c): two pages of host memory
 * as a flat guest's code and stack, and run_both, which runs bytes interpreted and translated from
 * the same start (rax = 0x4000000000000001, rbx = 5, rdx = 7, rsp in the second page) and checks
 * that both end alike: status, vector, every GPR, rip and the six arithmetic flags. */
#ifndef VMON_ACCEL_SOFT_JIT_RIG_TEST_H
#define VMON_ACCEL_SOFT_JIT_RIG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

struct env {
    uint8_t *code;
    struct flat_region r[2];
};

static inline int setup(void **state)
{
    static struct env e;
    e.code = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e.code == MAP_FAILED)
        return -1;
    e.r[0] = (struct flat_region){ e.code, 4096, 1 };
    e.r[1] = (struct flat_region){ e.code + 4096, 4096, 1 };   /* the stack */
    *state = &e;
    return 0;
}

static inline int teardown(void **state)
{
    struct env *e = *state;
    munmap(e->code, 8192);
    return 0;
}

/* Run bytes from a fresh state (rsp in the second page) both ways; returns the translated run's
 * result and checks the interpreted one ends the same. */
static inline int run_both(struct env *e, const uint8_t *bytes, size_t n, struct flat_state *out, int *vec)
{
    struct flat_state st[2];
    int rc[2], v[2] = { -1, -1 };
    for (int jit = 0; jit < 2; jit++) {
        memset(e->code, 0xcc, 8192);
        memcpy(e->code, bytes, n);
        memset(&st[jit], 0, sizeof(st[jit]));
        st[jit].rip = (uintptr_t)e->code;
        st[jit].gpr[4] = (uintptr_t)e->code + 8192 - 64;
        st[jit].gpr[0] = 0x4000000000000001ull;   /* rax: shl by 2 carries a 1 out */
        st[jit].gpr[3] = 5;                        /* rbx */
        st[jit].gpr[2] = 7;                        /* rdx */
        st[jit].rflags = 0x2;
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0 };
        rc[jit] = soft_flat_run(&st[jit], e->r, 2, (uintptr_t)e->code + n, 1000, &v[jit], &cpu);
    }
    assert_int_equal(rc[0], rc[1]);
    assert_int_equal(v[0], v[1]);
    assert_memory_equal(st[0].gpr, st[1].gpr, sizeof(st[0].gpr));
    assert_int_equal(st[0].rip, st[1].rip);
    assert_int_equal(st[0].rflags & 0x8d5, st[1].rflags & 0x8d5);   /* the six arithmetic flags */
    *out = st[1];
    *vec = v[1];
    return rc[1];
}

#endif
