/* Page walks on hand-built page tables in a fake guest RAM: 32-bit (4 KiB and 4 MiB pages), PAE and
 * 4-level paging (2 MiB and 1 GiB pages), A/D bit updates, and the #PF error codes and CR2 of
 * not-present, write-protect (CR0.WP), user/supervisor, NX and reserved-bit faults (large-page
 * entries, PAE's high bits, PDPTEs checked when CR3 is loaded), and where I/D is reported; the
 * TLB's flushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/cpu-model.h"
#include "accel/soft/cpu.h"
#include "accel/soft/tb.h"

#define RAM_SIZE (8u << 20)
static uint8_t *ram;

static enum phys_kind fake_phys(struct cpu *c, uint64_t gpa, uint8_t **host, bool *writable)
{
    (void)c;
    if (gpa >= RAM_SIZE)
        return PHYS_MMIO;
    *host = ram + gpa;
    *writable = true;
    return PHYS_RAM;
}

static uint64_t fake_mmio_read(struct cpu *c, uint64_t gpa, unsigned size)
{
    (void)c; (void)gpa; (void)size;
    return ~0ull;
}

static void fake_mmio_write(struct cpu *c, uint64_t gpa, uint64_t v, unsigned size)
{
    (void)c; (void)gpa; (void)v; (void)size;
}

static const struct cpu_env_ops env = {
    .phys_page = fake_phys, .mmio_read = fake_mmio_read, .mmio_write = fake_mmio_write,
};

static struct cpu *new_cpu(void)
{
    struct cpu *c = calloc(1, sizeof(*c));
    c->env = &env;
    c->pages = code_pages_new();
    cpu_reset(c);
    return c;
}

static void free_cpu(struct cpu *c)
{
    code_pages_free(c->pages);
    free(c);
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }
static uint64_t get64(uint64_t gpa) { uint64_t v; memcpy(&v, ram + gpa, 8); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

/* Translate; returns 0 and *gpa, or the #PF error code + 1000 (CR2 checked against lin). */
static int xlate(struct cpu *c, uint64_t lin, enum access acc, bool user, uint64_t *gpa)
{
    unsigned prot;
    c->exc_vector = -1;
    c->delivering = -1;
    if (setjmp(c->jmp)) {
        assert_int_equal(c->exc_vector, EXC_PF);
        assert_int_equal(c->cr2, lin);
        return 1000 + (int)c->exc_err;
    }
    mmu_translate(c, lin, acc, user, gpa, &prot, false);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM_SIZE);
    return ram ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void test_32bit(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    c->cr0 = CR0_PE | CR0_PG | CR0_WP;
    c->cr4 = CR4_PSE;
    c->cr3 = 0x1000;
    put32(0x1000 + 0 * 4, 0x2000 | 0x7);          /* PDE 0: page table, user rw */
    put32(0x2000 + 5 * 4, 0x300000 | 0x5);        /* 0x5000 -> 0x300000 user read-only */
    put32(0x1000 + 1 * 4, 0x400000 | 0x83);       /* 4 MiB page at 0x400000, supervisor rw */
    uint64_t gpa;
    assert_int_equal(xlate(c, 0x5123, ACC_READ, true, &gpa), 0);
    assert_int_equal(gpa, 0x300123);
    assert_true(get32(0x2000 + 5 * 4) & 0x20);     /* A set */
    assert_false(get32(0x2000 + 5 * 4) & 0x40);    /* D not set by a read */
    assert_int_equal(xlate(c, 0x5123, ACC_WRITE, true, &gpa), 1000 + 7);        /* P|W|U */
    assert_int_equal(xlate(c, 0x5123, ACC_WRITE, false, &gpa), 1000 + 3);       /* WP: P|W */
    c->cr0 &= ~(uint64_t)CR0_WP;
    assert_int_equal(xlate(c, 0x5123, ACC_WRITE, false, &gpa), 0);
    assert_true(get32(0x2000 + 5 * 4) & 0x40);     /* D set */
    assert_int_equal(xlate(c, 0x423456, ACC_READ, false, &gpa), 0);
    assert_int_equal(gpa, 0x423456);
    assert_int_equal(xlate(c, 0x423456, ACC_READ, true, &gpa), 1000 + 5);       /* P|U */
    assert_int_equal(xlate(c, 0x6000, ACC_READ, false, &gpa), 1000 + 0);        /* not present */
    assert_int_equal(xlate(c, 0x800000, ACC_WRITE, true, &gpa), 1000 + 6);      /* W|U, no PDE */
    free_cpu(c);
}

static void test_pae(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    c->cr0 = CR0_PE | CR0_PG;
    c->cr4 = CR4_PAE;
    c->efer = EFER_NXE;
    c->cr3 = 0x1000;
    put64(0x1000, 0x2000 | 1);                     /* PDPTE 0 */
    put64(0x2000 + 0 * 8, 0x3000 | 0x7);           /* PDE 0 -> PT */
    put64(0x3000 + 1 * 8, 0x500000 | 0x7 | (1ull << 63));   /* 0x1000 -> 0x500000, NX */
    put64(0x2000 + 1 * 8, 0x600000 | 0x83);        /* 2 MiB page at 0x200000 */
    uint64_t gpa;
    assert_int_equal(xlate(c, 0x1abc, ACC_READ, true, &gpa), 0);
    assert_int_equal(gpa, 0x500abc);
    assert_int_equal(xlate(c, 0x1abc, ACC_EXEC, true, &gpa), 1000 + 0x15);     /* P|U|I/D */
    assert_int_equal(xlate(c, 0x2fffff, ACC_EXEC, false, &gpa), 0);
    assert_int_equal(gpa, 0x6fffff);
    /* Without EFER.NXE, bit 63 is reserved: RSVD in the error code. */
    c->efer = 0;
    assert_int_equal(xlate(c, 0x1abc, ACC_READ, false, &gpa), 1000 + 0x9);       /* P|RSVD */
    free_cpu(c);
}

static void test_4level(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    c->cr0 = CR0_PE | CR0_PG | CR0_WP;
    c->cr4 = CR4_PAE;
    c->efer = EFER_LME | EFER_LMA | EFER_NXE;
    c->cr3 = 0x1000;
    uint64_t hi = 0xffff800000000000ull;           /* PML4 index 256 */
    put64(0x1000 + 256 * 8, 0x2000 | 0x3);         /* supervisor */
    put64(0x2000 + 0 * 8, 0x3000 | 0x3);
    put64(0x3000 + 0 * 8, 0x4000 | 0x3);
    put64(0x4000 + 7 * 8, 0x700000 | 0x3);         /* hi + 0x7000 -> 0x700000 */
    put64(0x2000 + 1 * 8, 0x40000000ull | 0x83);   /* 1 GiB page at hi + 1 GiB */
    put64(0x1000 + 0 * 8, 0x5000 | 0x7);           /* user half */
    put64(0x5000, 0x6000 | 0x7);
    put64(0x6000, 0x7000 | 0x5);                   /* PDE read-only for user */
    put64(0x7000 + 3 * 8, 0x123000 | 0x7);
    uint64_t gpa;
    assert_int_equal(xlate(c, hi + 0x7010, ACC_WRITE, false, &gpa), 0);
    assert_int_equal(gpa, 0x700010);
    assert_true(get64(0x4000 + 7 * 8) & 0x60);     /* A and D */
    assert_true(get64(0x1000 + 256 * 8) & 0x20);   /* A up the walk */
    assert_int_equal(xlate(c, hi + 0x40001234ull, ACC_READ, false, &gpa), 0);
    assert_int_equal(gpa, 0x40001234ull);
    assert_int_equal(xlate(c, hi + 0x7010, ACC_READ, true, &gpa), 1000 + 5);    /* U on S page */
    assert_int_equal(xlate(c, 0x3008, ACC_READ, true, &gpa), 0);
    assert_int_equal(gpa, 0x123008);
    assert_int_equal(xlate(c, 0x3008, ACC_WRITE, true, &gpa), 1000 + 7);        /* R/O PDE */
    free_cpu(c);
}

/* Reserved bits by format and page size (SDM vol. 3, 4.3-4.5 tables), and I/D (4.7). */
static void test_reserved(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    uint64_t gpa;
    /* 32-bit paging: NXE means nothing without PAE, so no I/D; bit 21 of a 4 MiB PDE is reserved,
     * bits 20:13 are physical bits 39:32 (PSE-36). */
    c->cr0 = CR0_PE | CR0_PG;
    c->cr4 = CR4_PSE;
    c->efer = EFER_NXE;
    c->cr3 = 0x1000;
    assert_int_equal(xlate(c, 0x5000, ACC_EXEC, false, &gpa), 1000 + 0);
    put32(0x1000 + 1 * 4, 0x400000 | 0x83 | (1u << 21));
    assert_int_equal(xlate(c, 0x400010, ACC_READ, false, &gpa), 1000 + 9);
    put32(0x1000 + 1 * 4, 0x400000 | 0x83 | (1u << 13));
    assert_int_equal(xlate(c, 0x400010, ACC_READ, false, &gpa), 0);
    assert_int_equal(gpa, 0x100400010ull);
    /* PAE: bits 20:13 of a 2 MiB PDE, 62:52 of any entry; fetches report I/D with NXE. */
    memset(ram, 0, 0x10000);
    c->cr4 = CR4_PAE;
    put64(0x1000, 0x2000 | 1);
    put64(0x2000 + 1 * 8, 0x600000 | 0x83 | (1ull << 13));
    assert_int_equal(xlate(c, 0x200010, ACC_READ, false, &gpa), 1000 + 9);
    assert_int_equal(xlate(c, 0x200010, ACC_EXEC, false, &gpa), 1000 + 0x19);
    put64(0x2000 + 1 * 8, 0x600000 | 0x83 | (1ull << 12));   /* PAT: not reserved */
    assert_int_equal(xlate(c, 0x200010, ACC_READ, false, &gpa), 0);
    assert_int_equal(gpa, 0x600010);
    put64(0x2000 + 1 * 8, 0x600000 | 0x83 | (1ull << 55));
    assert_int_equal(xlate(c, 0x200010, ACC_WRITE, false, &gpa), 1000 + 0xb);
    assert_int_equal(xlate(c, 0x5000, ACC_EXEC, true, &gpa), 1000 + 0x14);      /* U|I/D */
    /* A PDPTE with P and a reserved bit: refused when CR3 is loaded, RSVD if changed afterwards. */
    assert_true(mmu_pdptes_valid(c, 0x1000));
    put64(0x1000 + 3 * 8, 0x3000 | 1 | 2);
    assert_false(mmu_pdptes_valid(c, 0x1000));
    assert_int_equal(xlate(c, 0xc0000000u, ACC_READ, false, &gpa), 1000 + 9);
    put64(0x1000 + 3 * 8, 0x3000 | 2);                           /* not present: fine */
    assert_true(mmu_pdptes_valid(c, 0x1000));
    put64(0x1000 + 3 * 8, 0x3000 | 1 | (1ull << 63));
    c->exc_vector = -1;
    c->delivering = -1;
    if (!setjmp(c->jmp)) {
        cpu_set_cr3(c, 0x1000);
        fail();
    }
    assert_int_equal(c->exc_vector, EXC_GP);
    /* 4-level: bits 20:13 of a 2 MiB PDE, 29:13 of a 1 GiB PDPTE; 58:52 are ignored. */
    memset(ram, 0, 0x10000);
    c->efer = EFER_LME | EFER_LMA | EFER_NXE;
    put64(0x1000, 0x2000 | 0x7);
    put64(0x2000 + 1 * 8, 0x40000000ull | 0x83 | (1ull << 29));
    assert_int_equal(xlate(c, 0x40000010, ACC_READ, false, &gpa), 1000 + 9);
    put64(0x2000 + 1 * 8, 0x80000000ull | 0x83 | (1ull << 55));
    assert_int_equal(xlate(c, 0x40000010, ACC_READ, false, &gpa), 0);
    assert_int_equal(gpa, 0x80000010ull);
    put64(0x2000 + 0 * 8, 0x3000 | 0x7 | (1ull << 40));          /* above MAXPHYADDR */
    assert_int_equal(xlate(c, 0x10, ACC_READ, true, &gpa), 1000 + 0xd);
    put64(0x2000 + 0 * 8, 0x3000 | 0x7);
    put64(0x3000 + 2 * 8, 0x400000 | 0x83 | (1ull << 20));
    assert_int_equal(xlate(c, 0x400010, ACC_EXEC, false, &gpa), 1000 + 0x19);
    /* A model without 1 GiB pages: PS in a PDPTE is reserved. */
    put64(0x2000 + 1 * 8, 0x40000000ull | 0x83);
    assert_int_equal(xlate(c, 0x40000010, ACC_READ, false, &gpa), 0);
    struct cpuid_edit edits[2];
    char err[128];
    assert_int_equal(cpuid_parse_features("-pdpe1gb,-pse36", edits, 2, err, sizeof(err)), 2);
    c->cpuid_edits = edits;
    c->ncpuid_edits = 2;
    c->mmu_feats = 0;
    tlb_flush(c);
    assert_int_equal(xlate(c, 0x40000010, ACC_READ, false, &gpa), 1000 + 9);
    /* ... and without PSE-36, bits 20:13 of a 4 MiB PDE. */
    c->efer = 0;
    c->cr4 = CR4_PSE;
    put32(0x1000 + 1 * 4, 0x400000 | 0x83 | (1u << 13));
    assert_int_equal(xlate(c, 0x400010, ACC_READ, false, &gpa), 1000 + 9);
    free_cpu(c);
}

/* Through the TLB: a hit after the first access, invlpg and CR3 writes drop it. */
static void test_tlb(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    c->cr0 = CR0_PE | CR0_PG;
    c->cr4 = CR4_PSE;
    c->cr3 = 0x1000;
    put32(0x1000, 0x2000 | 0x3);
    put32(0x2000 + 4 * 4, 0x100000 | 0x3);
    put32(0x100010, 0xdeadbeef);
    c->exc_vector = -1;
    c->delivering = -1;
    if (setjmp(c->jmp))
        fail();
    assert_int_equal(lin_read(c, 0x4010, 4, false), 0xdeadbeef);
    put32(0x2000 + 4 * 4, 0x200000 | 0x3);         /* remap without invalidation: stale hit */
    put32(0x200010, 0x12345678);
    assert_int_equal(lin_read(c, 0x4010, 4, false), 0xdeadbeef);
    tlb_flush_page(c, 0x4000);
    assert_int_equal(lin_read(c, 0x4010, 4, false), 0x12345678);
    put32(0x2000 + 4 * 4, 0x100000 | 0x3);
    cpu_set_cr3(c, 0x1000);
    assert_int_equal(lin_read(c, 0x4010, 4, false), 0xdeadbeef);
    free_cpu(c);
}

/* The flushes visit the entries their maps name (tlb.c): with CR4.PGE, 200 non-global 4 KiB pages
 * (entries over several words of the maps), a global page and a 2 MiB page are read, their entries
 * remapped without invalidation; a CR3 write must drop the 200 and the large page's entry and keep
 * the global one, an invlpg anywhere in the 2 MiB page must drop its entry, a full flush the
 * global one. Each read tells which frame it came from (every frame holds its own address). */
static void test_tlb_flushes(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    c->cr0 = CR0_PE | CR0_PG;
    c->cr4 = CR4_PAE | CR4_PGE;
    c->efer = EFER_LME | EFER_LMA;
    c->cr3 = 0x1000;
    put64(0x1000, 0x2000 | 0x3);
    put64(0x2000, 0x3000 | 0x3);
    put64(0x3000, 0x4000 | 0x3);                   /* lin 0..2M: 4 KiB pages */
    enum { N = 200, FIRST = 16, GLOBAL = 8 };
    for (uint64_t f = 0x100000; f < 0x600000; f += 0x1000)
        put32(f, (uint32_t)f);
    for (unsigned k = 0; k < N; k++)
        put64(0x4000 + (FIRST + k) * 8, (0x100000 + k * 0x1000ull) | 0x3);
    put64(0x4000 + GLOBAL * 8, 0x1f0000 | 0x103);  /* global */
    put64(0x3000 + 8, 0x400000 | 0x83);            /* lin 2M..4M: one 2 MiB page */
    c->exc_vector = -1;
    c->delivering = -1;
    if (setjmp(c->jmp))
        fail();
    for (unsigned k = 0; k < N; k++)
        assert_int_equal(lin_read(c, (FIRST + k) * 0x1000ull, 4, false), 0x100000 + k * 0x1000);
    assert_int_equal(lin_read(c, GLOBAL * 0x1000, 4, false), 0x1f0000);
    assert_int_equal(lin_read(c, 0x200000 + 0x5000, 4, false), 0x405000);
    for (unsigned k = 0; k < N; k++)                /* remapped, not invalidated */
        put64(0x4000 + (FIRST + k) * 8, (0x300000 + k * 0x1000ull) | 0x3);
    put64(0x4000 + GLOBAL * 8, 0x1f1000 | 0x103);
    put64(0x3000 + 8, 0x200000 | 0x83);
    assert_int_equal(lin_read(c, GLOBAL * 0x1000, 4, false), 0x1f0000);      /* stale hits */
    assert_int_equal(lin_read(c, 0x200000 + 0x5000, 4, false), 0x405000);
    cpu_set_cr3(c, 0x1000);
    for (unsigned k = 0; k < N; k++)
        assert_int_equal(lin_read(c, (FIRST + k) * 0x1000ull, 4, false), 0x300000 + k * 0x1000);
    assert_int_equal(lin_read(c, GLOBAL * 0x1000, 4, false), 0x1f0000);      /* global: kept */
    assert_int_equal(lin_read(c, 0x200000 + 0x5000, 4, false), 0x205000);
    put64(0x3000 + 8, 0x400000 | 0x183);           /* global 2 MiB page now */
    cpu_set_cr3(c, 0x1000);
    assert_int_equal(lin_read(c, 0x200000 + 0x5000, 4, false), 0x405000);
    put64(0x3000 + 8, 0x200000 | 0x183);
    cpu_set_cr3(c, 0x1000);
    assert_int_equal(lin_read(c, 0x200000 + 0x5000, 4, false), 0x405000);   /* global: kept */
    tlb_flush_page(c, 0x200000 + 0x1ff000);        /* the same 2 MiB page, another 4 KiB */
    assert_int_equal(lin_read(c, 0x200000 + 0x5000, 4, false), 0x205000);
    tlb_flush(c);
    assert_int_equal(lin_read(c, GLOBAL * 0x1000, 4, false), 0x1f1000);
    free_cpu(c);
}

/* A locked read-modify-write on a page blocks were translated from (a spinlock next to an AP
 * trampoline) still gets a host pointer, so it is one host atomic: the page's blocks are dropped
 * first. It used to fall back to a read and a write, and two vCPUs both took the lock. */
static void test_rmw_on_code_page(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu *c = new_cpu();
    c->tbs = tb_cache_new(1u << 20);
    c->seg[SEG_CS].sel = 0x1000;
    c->seg[SEG_CS].base = 0x10000;
    c->rip = 0;
    cpu_update_mode(c);
    ram[0x10000] = 0x90;                            /* nop; hlt */
    ram[0x10001] = 0xf4;
    c->exc_vector = -1;
    c->delivering = -1;
    if (setjmp(c->jmp))
        fail();
    assert_non_null(tb_find(c));
    assert_true(code_page_is_code(c->pages, 0x10000));
    assert_ptr_equal(lin_host_rmw(c, 0x10f00, 4), ram + 0x10f00);
    assert_false(code_page_is_code(c->pages, 0x10000));
    assert_null(lin_host_rmw(c, 0x10ffe, 4));       /* across a page: the caller's fallback */
    tb_cache_free(c->tbs);
    free_cpu(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_32bit),
        cmocka_unit_test(test_pae),
        cmocka_unit_test(test_4level),
        cmocka_unit_test(test_reserved),
        cmocka_unit_test(test_tlb),
        cmocka_unit_test(test_tlb_flushes),
        cmocka_unit_test(test_rmw_on_code_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
