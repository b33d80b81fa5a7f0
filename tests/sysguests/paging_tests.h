/* Paging checks shared by the 32-bit, PAE and 4-level guests (SDM vol. 3 ch. 4): each guest builds
 * its tables so that a page table maps TVA.. in 4 KiB pages and one directory entry can be made a
 * large page, describes them in struct paging_env, and calls paging_tests(). The entries' flag bits
 * are the same in the three formats; XD (bit 63) exists only in the 64-bit-entry ones. */
#include "guest.h"

#define PG_P   0x001u
#define PG_RW  0x002u
#define PG_US  0x004u
#define PG_A   0x020u
#define PG_D   0x040u
#define PG_PS  0x080u
#define PG_G   0x100u
#define PG_XD  (1ull << 63)
#define PF_P    0x01
#define PF_W    0x02
#define PF_U    0x04
#define PF_RSVD 0x08
#define PF_I    0x10

struct paging_env {
    volatile pte_t *pt;         /* the page table mapping tva */
    volatile pte_t *pde;        /* the directory entry pointing to pt */
    volatile pte_t *upper[2];   /* entries above pde that have an accessed bit, or NULL */
    volatile pte_t *large;      /* a directory entry free for a large page mapping large_va */
    ulong tva, large_va, large_size;
    int has_nx;                 /* XD bit usable (EFER.NXE set) */
    int rsvd_bit;               /* a reserved physical-address bit of a PTE, or 0 when none */
    int id_on_fetch;            /* fetches report I/D: EFER.NXE with PAE or 4-level paging (SDM 4.7) */
    volatile pte_t *lvl[4];     /* the entries above the PTE with R/W and U/S, top level first */
    const char *lvl_name[4];
    int nlvl;
    uint64_t hi_rsvd;           /* a reserved bit above bit 51 (PAE: 62:52), or 0 */
    uint64_t ign_bit;           /* an ignored bit above bit 51 (4-level: 58:52), or 0 */
    uint64_t large_rsvd;        /* reserved bits of a large-page entry (above bit 12) */
};

static uint8_t pages[4][4096] __attribute__((aligned(4096)));

static void map(const struct paging_env *e, unsigned idx, const void *page, uint64_t flags)
{
    barrier();
    e->pt[idx] = (pte_t)((ulong)page | flags);
    invlpg(e->tva + idx * 4096);
}

static void read_fn(ulong a) { (void)probe_read8(a); }
static void write_fn(ulong a) { probe_write8(a, 0x77); }
static void exec_fn(ulong a) { probe_exec(a); }
static ulong crossing_value;
static void read_crossing(ulong a) { crossing_value = *(volatile uint32_t *)a; }

static void expect_pf(const char *what, int got, ulong error, ulong cr2, ulong ip)
{
    check_eq(cat(what, ": vector"), (ulong)got, 14);
    check_eq(cat(what, ": error code"), last_exc.error, error);
    check_eq(cat(what, ": cr2 - address"), last_exc.cr2 - cr2, 0);
    if (ip)
        check_eq(cat(what, ": frame ip - the access"), last_exc.ip - ip, 0);
}

static void test_accessed_dirty(const struct paging_env *e)
{
    map(e, 0, pages[0], PG_P | PG_RW);
    *e->pde &= ~(pte_t)PG_A;
    for (int i = 0; i < 2; i++)
        if (e->upper[i])
            *e->upper[i] &= ~(pte_t)PG_A;
    WRITE_CR(3, READ_CR(3));
    pages[0][5] = 0x42;
    barrier();
    check_eq("read through a fresh 4K mapping", *(volatile uint8_t *)(e->tva + 5), 0x42);
    check_eq("after a read: PTE.A", e->pt[0] & PG_A, PG_A);
    check_eq("after a read: PTE.D still clear", e->pt[0] & PG_D, 0);
    check_eq("after a read: PDE.A", *e->pde & PG_A, PG_A);
    for (int i = 0; i < 2; i++)
        if (e->upper[i])
            check_eq(i ? "after a read: upper level 2 A" : "after a read: upper level 1 A", *e->upper[i] & PG_A,
                     PG_A);
    /* The TLB now holds the entry with D=0: a write must go back to the PTE to set D. */
    *(volatile uint8_t *)(e->tva + 6) = 0x43;
    barrier();
    check_eq("after a write: PTE.D", e->pt[0] & PG_D, PG_D);
    check_eq("the write reached the physical page", pages[0][6], 0x43);
}

static void test_protection(const struct paging_env *e)
{
    map(e, 1, pages[1], 0);
    expect_pf("read of a not-present page", run_catch(read_fn, e->tva + 0x1010), 0, e->tva + 0x1010,
              (ulong)probe_read8_insn);
    expect_pf("write to a not-present page", run_catch(write_fn, e->tva + 0x1020), PF_W, e->tva + 0x1020,
              (ulong)probe_write8_insn);
    map(e, 1, pages[1], PG_P);
    WRITE_CR(0, READ_CR(0) | CR0_WP);
    expect_pf("CR0.WP=1: supervisor write to a read-only page", run_catch(write_fn, e->tva + 0x1030),
              PF_P | PF_W, e->tva + 0x1030, (ulong)probe_write8_insn);
    WRITE_CR(0, READ_CR(0) & ~(ulong)CR0_WP);
    check_no_fault("CR0.WP=0: supervisor write to a read-only page, no fault", run_catch(write_fn, e->tva + 0x1030));
    check_eq("CR0.WP=0: the write reached the page", pages[1][0x30], 0x77);
    check_eq("CR0.WP=0: PTE.D set by the write", e->pt[1] & PG_D, PG_D);
    /* R/W is the AND of all levels: a read-only directory entry over a writable PTE. */
    map(e, 1, pages[1], PG_P | PG_RW | PG_US);
    *e->pde &= ~(pte_t)PG_RW;
    WRITE_CR(3, READ_CR(3));
    WRITE_CR(0, READ_CR(0) | CR0_WP);
    expect_pf("CR0.WP=1: write under a read-only PDE", run_catch(write_fn, e->tva + 0x1040), PF_P | PF_W,
              e->tva + 0x1040, 0);
    *e->pde |= PG_RW;
    WRITE_CR(3, READ_CR(3));
    /* U/S from ring 3: a supervisor PTE, then a supervisor PDE over a user PTE. */
    map(e, 1, pages[1], PG_P | PG_RW);
    expect_pf("ring 3 read of a supervisor page", run_user(read_fn, e->tva + 0x1050, 0), PF_P | PF_U,
              e->tva + 0x1050, (ulong)probe_read8_insn);
    expect_pf("ring 3 write to a supervisor page", run_user(write_fn, e->tva + 0x1058, 0), PF_P | PF_W | PF_U,
              e->tva + 0x1058, (ulong)probe_write8_insn);
    map(e, 1, pages[1], PG_P | PG_RW | PG_US);
    check_no_fault("ring 3 read of a user page", run_user(read_fn, e->tva + 0x1060, 0));
    *e->pde &= ~(pte_t)PG_US;
    WRITE_CR(3, READ_CR(3));
    expect_pf("ring 3 read under a supervisor PDE", run_user(read_fn, e->tva + 0x1068, 0), PF_P | PF_U,
              e->tva + 0x1068, 0);
    *e->pde |= PG_US;
    WRITE_CR(3, READ_CR(3));
    map(e, 1, pages[1], 0);
    expect_pf("ring 3 read of a not-present page", run_user(read_fn, e->tva + 0x1070, 0), PF_U, e->tva + 0x1070, 0);
    /* CR2 is the first byte that faulted: a 4-byte read straddling into a not-present page. */
    map(e, 0, pages[0], PG_P | PG_RW);
    expect_pf("4-byte read crossing into a not-present page", run_catch(read_crossing, e->tva + 0xffe), 0,
              e->tva + 0x1000, 0);
}

static void test_nx_and_reserved(const struct paging_env *e)
{
    pages[2][0x100] = 0xc3;   /* ret */
    barrier();
    if (e->has_nx) {
        map(e, 2, pages[2], PG_P | PG_RW);
        check_no_fault("execute from a page without XD", run_catch(exec_fn, e->tva + 0x2100));
        map(e, 2, pages[2], PG_P | PG_RW | PG_XD);
        expect_pf("execute from an XD page", run_catch(exec_fn, e->tva + 0x2100), PF_P | PF_I, e->tva + 0x2100,
                  e->tva + 0x2100);
        check_no_fault("read from an XD page", run_catch(read_fn, e->tva + 0x2100));
        /* With EFER.NXE=0, bit 63 is a reserved bit. */
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
        invlpg(e->tva + 0x2000);
        expect_pf("XD set while EFER.NXE=0: reserved-bit fault", run_catch(read_fn, e->tva + 0x2100),
                  PF_P | PF_RSVD, e->tva + 0x2100, 0);
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        invlpg(e->tva + 0x2000);
    }
    if (e->rsvd_bit) {
        map(e, 2, pages[2], PG_P | PG_RW | (1ull << e->rsvd_bit));
        expect_pf("PTE with a bit above MAXPHYADDR: reserved-bit fault", run_catch(read_fn, e->tva + 0x2200),
                  PF_P | PF_RSVD, e->tva + 0x2200, 0);
        expect_pf("write, reserved bit: error code has W too", run_catch(write_fn, e->tva + 0x2200),
                  PF_P | PF_W | PF_RSVD, e->tva + 0x2200, 0);
    }
    map(e, 2, pages[2], 0);
}

static void test_tlb(const struct paging_env *e)
{
    pages[2][0] = 2;
    pages[3][0] = 3;
    barrier();
    volatile uint8_t *v = (volatile uint8_t *)(e->tva + 0x3000);
    map(e, 3, pages[2], PG_P | PG_RW);
    check_eq("mapping to page 2", *v, 2);
    e->pt[3] = (pte_t)((ulong)pages[3] | PG_P | PG_RW);   /* no invalidation yet */
    gprintf("opt: info stale TLB entry used before invlpg: %s\n", *v == 2 ? "yes" : "no");
    invlpg(e->tva + 0x3000);
    check_eq("after invlpg: the new mapping (page 3)", *v, 3);
    e->pt[3] = (pte_t)((ulong)pages[2] | PG_P | PG_RW);
    WRITE_CR(3, READ_CR(3));
    check_eq("after a CR3 reload: the new mapping (page 2)", *v, 2);
    /* Global entries survive a CR3 reload (SDM 4.10.4.1) but not invlpg or a CR4.PGE toggle. */
    WRITE_CR(4, READ_CR(4) | CR4_PGE);
    map(e, 3, pages[2], PG_P | PG_RW | PG_G);
    check_eq("global mapping to page 2", *v, 2);
    e->pt[3] = (pte_t)((ulong)pages[3] | PG_P | PG_RW | PG_G);
    WRITE_CR(3, READ_CR(3));
    gprintf("opt: info global entry kept across a CR3 reload: %s\n", *v == 2 ? "yes" : "no");
    invlpg(e->tva + 0x3000);
    check_eq("global entry after invlpg: the new mapping (page 3)", *v, 3);
    e->pt[3] = (pte_t)((ulong)pages[2] | PG_P | PG_RW | PG_G);
    WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_PGE);
    WRITE_CR(4, READ_CR(4) | CR4_PGE);
    check_eq("global entry after toggling CR4.PGE: the new mapping (page 2)", *v, 2);
    WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_PGE);
    map(e, 3, pages[2], 0);
}

static void test_large(const struct paging_env *e, const char *name)
{
    /* A large page mapping physical 0: a variable at physical X reads the same at large_va + X. */
    static volatile uint32_t marker;
    marker = 0x6c617267;
    *e->large = (pte_t)(PG_P | PG_RW | PG_PS);
    invlpg(e->large_va + (ulong)&marker);
    check_eq(cat(name, " page: read a variable through it"), *(volatile uint32_t *)(e->large_va + (ulong)&marker),
             0x6c617267);
    check_eq(cat(name, " page: A set in the large entry"), *e->large & PG_A, PG_A);
    check_eq(cat(name, " page: D clear after reads"), *e->large & PG_D, 0);
    *(volatile uint32_t *)(e->large_va + (ulong)&marker) = 0x4c415247;
    check_eq(cat(name, " page: write seen at the physical address"), marker, 0x4c415247);
    check_eq(cat(name, " page: D set by the write"), *e->large & PG_D, PG_D);
    *e->large = 0;
    invlpg(e->large_va + (ulong)&marker);
    expect_pf(cat(name, " entry cleared: not present"), run_catch(read_fn, e->large_va + 0x123), 0,
              e->large_va + 0x123, 0);
}

#include "paging_levels.h"

static void paging_tests(const struct paging_env *e, const char *large_name)
{
    test_accessed_dirty(e);
    test_protection(e);
    test_nx_and_reserved(e);
    test_tlb(e);
    test_large(e, large_name);
    test_levels(e);
    test_large_reserved(e, large_name);
}
