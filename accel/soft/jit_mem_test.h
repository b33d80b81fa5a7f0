/* Shared by jit_string_test.c and jit_lock_test.c: a flat space of pages (0 code, 1 not mapped,
 * DATA_PAGES of data from 2, then the stack, then one not mapped) where a snippet runs interpreted and then translated
 * from the same registers and memory; registers, rip, the arithmetic flags and DF, the fault
 * vector and every mapped byte must end the same. The snippets touch their pages first, so the
 * translated run finds them in the soft TLB and takes the inline paths (a cold TLB sends every
 * memory operand to the handler). */
#ifndef VMON_ACCEL_SOFT_JIT_MEM_TEST_H
#define VMON_ACCEL_SOFT_JIT_MEM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

#define PG 4096
#define DATA_PAGES 18
#define NPAGES (DATA_PAGES + 4)

struct menv {
    uint8_t *base;
    struct flat_region r[3];
    uint8_t after_interp[NPAGES * PG];
};

static inline uint8_t *code_of(struct menv *e) { return e->base; }
static inline uint8_t *data_of(struct menv *e) { return e->base + 2 * PG; }
static inline uint8_t *stack_of(struct menv *e) { return e->base + (2 + DATA_PAGES) * PG; }
static inline uint8_t *hole_of(struct menv *e) { return e->base + PG; }

static int menv_setup(void **state)
{
    static struct menv e;
    e.base = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e.base == MAP_FAILED)
        return -1;
    e.r[0] = (struct flat_region){ e.base, PG, 1 };
    e.r[1] = (struct flat_region){ e.base + 2 * PG, DATA_PAGES * PG, 1 };
    e.r[2] = (struct flat_region){ e.base + (2 + DATA_PAGES) * PG, PG, 1 };
    *state = &e;
    return 0;
}

static int menv_teardown(void **state)
{
    struct menv *e = *state;
    munmap(e->base, NPAGES * PG);
    return 0;
}

/* The data and stack pages' contents before each run. */
static inline uint8_t pattern(size_t k)
{
    return (uint8_t)(k * 37 + 11 + (k >> 8));
}

/* Run code from gpr (rsp defaults to the stack page's top - 64 when 0) and rflags, both ways;
 * the translated run's state in *out, its fault vector in *vec; returns its result. */
static int run_mem(struct menv *e, const uint8_t *code, size_t n, const uint64_t gpr[16],
                   uint64_t rflags, struct flat_state *out, int *vec)
{
    struct flat_state st[2];
    int rc[2], v[2] = { -1, -1 };
    for (int jit = 0; jit < 2; jit++) {
        memset(e->base, 0xcc, PG);
        memcpy(e->base, code, n);
        for (size_t k = 0; k < (DATA_PAGES + 1) * PG; k++)
            e->base[2 * PG + k] = pattern(k);
        memset(&st[jit], 0, sizeof(st[jit]));
        memcpy(st[jit].gpr, gpr, sizeof(st[jit].gpr));
        if (!st[jit].gpr[4])
            st[jit].gpr[4] = (uintptr_t)stack_of(e) + PG - 64;
        st[jit].rip = (uintptr_t)e->base;
        st[jit].rflags = rflags | 0x2;
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0 };
        rc[jit] = soft_flat_run(&st[jit], e->r, 3, (uintptr_t)e->base + n, 100000, &v[jit], &cpu);
        if (!jit)
            memcpy(e->after_interp, e->base, sizeof(e->after_interp));
    }
    assert_int_equal(rc[0], rc[1]);
    assert_int_equal(v[0], v[1]);
    assert_memory_equal(st[0].gpr, st[1].gpr, sizeof(st[0].gpr));
    assert_int_equal(st[0].rip, st[1].rip);
    assert_int_equal(st[0].rflags & 0xcd5, st[1].rflags & 0xcd5);   /* six flags and DF */
    assert_memory_equal(e->after_interp, e->base, sizeof(e->after_interp));
    *out = st[1];
    *vec = v[1];
    return rc[1];
}

#endif
