/* Protection keys for user pages (SDM vol. 3, 4.6.2; vol. 2, RDPKRU/WRPKRU): CR4.PKE and CPUID's
 * OSPKE, rdpkru/wrpkru and their #UD/#GP cases, and the rights PKRU takes away by the key in bits
 * 62:59 of a user page's entry: AD forbids data accesses (ring 3 and ring 0), WD forbids writes (in
 * ring 0 only with CR0.WP), with the PK bit (5) in the #PF error code; instruction fetches,
 * supervisor pages and CR4.PKE=0 are not affected. Pages at 0x40000000 as in paging64. */
#include <stdint.h>
typedef uint64_t pte_t;
#pragma GCC diagnostic ignored "-Wunused-function"   /* paging_tests.h's checks this guest does not run */
#include "paging_tests.h"

#define PF_PK 0x20
#define CR4_PKE (1ul << 22)
#define TVA 0x40000000ul

extern uint64_t boot_pml4[512], boot_pdpt[512];
static pte_t test_pd[512] __attribute__((aligned(4096))), test_pt[512] __attribute__((aligned(4096)));
static volatile uint32_t pkru_read;

static void do_rdpkru(ulong ecx)
{
    uint32_t eax, edx;
    __asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"((uint32_t)ecx));
    pkru_read = eax;
}

static void do_wrpkru(ulong v)   /* low 32 bits: eax; bits 32-47: ecx; bits 48-63: edx */
{
    __asm__ volatile("wrpkru" :: "a"((uint32_t)v), "c"((uint32_t)(v >> 32) & 0xffff),
                     "d"((uint32_t)(v >> 48)) : "memory");
}

static void set_pkru(uint32_t v) { do_wrpkru(v); }
static uint64_t key(unsigned k) { return (uint64_t)k << 59; }

static void test_instructions(void)
{
    uint32_t r[4];
    check_eq("CR4.PKE=0: rdpkru #UD", (ulong)run_catch(do_rdpkru, 0), 6);
    check_eq("CR4.PKE=0: wrpkru #UD", (ulong)run_catch(do_wrpkru, 0), 6);
    WRITE_CR(4, READ_CR(4) | CR4_PKE);
    cpuid(7, 0, r);
    check_eq("CR4.PKE=1: CPUID.7.ECX.OSPKE", (r[2] >> 4) & 1, 1);
    check_no_fault("rdpkru", run_catch(do_rdpkru, 0));
    check_eq("PKRU after reset", pkru_read, 0);
    check_eq("rdpkru with ecx != 0: #GP", (ulong)run_catch(do_rdpkru, 1), 13);
    check_eq("wrpkru with ecx != 0: #GP", (ulong)run_catch(do_wrpkru, 0x100000000ul | 0xc), 13);
    check_eq("wrpkru with edx != 0: #GP", (ulong)run_catch(do_wrpkru, 0x1000000000000ul | 0xc), 13);
    run_catch(do_rdpkru, 0);
    check_eq("PKRU unchanged by the faulting wrpkru", pkru_read, 0);
    set_pkru(0x5555000c);
    run_catch(do_rdpkru, 0);
    check_eq("wrpkru then rdpkru", pkru_read, 0x5555000c);
    set_pkru(0);
}

static void test_rights(const struct paging_env *e)
{
    /* Key 1 on a user page, key 2 on another, key 1 on a supervisor page. */
    map(e, 0, pages[0], PG_P | PG_RW | PG_US | key(1));
    map(e, 1, pages[1], PG_P | PG_RW | PG_US | key(2));
    map(e, 2, pages[2], PG_P | PG_RW | key(1));
    WRITE_CR(0, READ_CR(0) | CR0_WP);
    set_pkru(1u << 2);   /* key 1: AD */
    expect_pf("AD: ring 0 read of a user page", run_catch(read_fn, TVA + 0x10), PF_P | PF_PK, TVA + 0x10,
              (ulong)probe_read8_insn);
    expect_pf("AD: ring 3 read", run_user(read_fn, TVA + 0x18, 0), PF_P | PF_U | PF_PK, TVA + 0x18, 0);
    expect_pf("AD: ring 3 write", run_user(write_fn, TVA + 0x20, 0), PF_P | PF_W | PF_U | PF_PK, TVA + 0x20, 0);
    check_no_fault("AD on key 1: a key-2 page is readable", run_user(read_fn, TVA + 0x1010, 0));
    check_no_fault("AD on key 1: a supervisor page with key 1 is writable", run_catch(write_fn, TVA + 0x2010));
    pages[0][0x40] = 0xc3;   /* ret */
    barrier();
    check_no_fault("AD: instruction fetch from the page is not affected", run_catch(exec_fn, TVA + 0x40));

    set_pkru(2u << 2);   /* key 1: WD */
    check_no_fault("WD: ring 3 read", run_user(read_fn, TVA + 0x28, 0));
    expect_pf("WD: ring 3 write", run_user(write_fn, TVA + 0x30, 0), PF_P | PF_W | PF_U | PF_PK, TVA + 0x30, 0);
    expect_pf("WD, CR0.WP=1: ring 0 write", run_catch(write_fn, TVA + 0x38), PF_P | PF_W | PF_PK, TVA + 0x38,
              (ulong)probe_write8_insn);
    WRITE_CR(0, READ_CR(0) & ~(ulong)CR0_WP);
    check_no_fault("WD, CR0.WP=0: ring 0 write", run_catch(write_fn, TVA + 0x38));
    check_eq("WD, CR0.WP=0: the write landed", pages[0][0x38], 0x77);
    WRITE_CR(0, READ_CR(0) | CR0_WP);

    /* A translation cached before PKRU changed must not outlive it. */
    set_pkru(0);
    check_no_fault("PKRU 0: ring 3 write", run_user(write_fn, TVA + 0x48, 0));
    set_pkru(2u << 2);
    expect_pf("WD set after a cached write: faults", run_user(write_fn, TVA + 0x48, 0),
              PF_P | PF_W | PF_U | PF_PK, TVA + 0x48, 0);
    /* A write both the page and the key forbid: PK is reported too (as KVM and QEMU do). */
    map(e, 0, pages[0], PG_P | PG_US | key(1));
    expect_pf("read-only page, WD: ring 3 write", run_user(write_fn, TVA + 0x50, 0),
              PF_P | PF_W | PF_U | PF_PK, TVA + 0x50, 0);
    map(e, 0, pages[0], PG_P | PG_US | key(2));
    expect_pf("read-only page, key allows: ring 3 write, no PK", run_user(write_fn, TVA + 0x50, 0),
              PF_P | PF_W | PF_U, TVA + 0x50, 0);
    map(e, 0, pages[0], PG_P | PG_RW | PG_US | key(1));

    /* CR4.PKE=0: keys are ignored. (Whether a translation cached then carries the key is not
     * architectural: invlpg before looking again.) */
    set_pkru(3u << 2);
    WRITE_CR(4, READ_CR(4) & ~CR4_PKE);
    check_no_fault("CR4.PKE=0: ring 3 write to a key-1 page", run_user(write_fn, TVA + 0x58, 0));
    WRITE_CR(4, READ_CR(4) | CR4_PKE);
    invlpg(TVA);
    expect_pf("CR4.PKE=1 again: the same write faults", run_user(write_fn, TVA + 0x58, 0),
              PF_P | PF_W | PF_U | PF_PK, TVA + 0x58, 0);
    set_pkru(0);
    WRITE_CR(4, READ_CR(4) & ~CR4_PKE);
}

/* The key is the leaf entry's, for 2 MiB and 1 GiB pages too; the same bits of an entry that points
 * to a table are ignored (SDM 4.6.2, tables 4-15 to 4-19). */
static void test_large_keys(const struct paging_env *e)
{
    uint32_t r[4];
    ulong va = TVA + (2ul << 20);
    test_pd[1] = PG_P | PG_RW | PG_US | PG_PS | key(1);   /* physical 0 */
    invlpg(va);
    WRITE_CR(4, READ_CR(4) | CR4_PKE);
    WRITE_CR(0, READ_CR(0) | CR0_WP);
    set_pkru(1u << 2);   /* key 1: AD */
    expect_pf("AD: ring 0 read of a 2M user page", run_catch(read_fn, va + 0x10), PF_P | PF_PK, va + 0x10,
              (ulong)probe_read8_insn);
    expect_pf("AD: ring 3 read of a 2M page", run_user(read_fn, va + 0x18, 0), PF_P | PF_U | PF_PK, va + 0x18, 0);
    set_pkru(2u << 2);   /* key 1: WD */
    check_no_fault("WD: ring 3 read of a 2M page", run_user(read_fn, va + 0x20, 0));
    expect_pf("WD: ring 3 write to a 2M page", run_user(write_fn, va + 0x28, 0), PF_P | PF_W | PF_U | PF_PK,
              va + 0x28, 0);
    test_pd[1] = 0;
    invlpg(va);
    /* Key 1 in the PDE above a key-0 PTE: no PK. */
    map(e, 3, pages[3], PG_P | PG_RW | PG_US);
    test_pd[0] |= key(1);
    WRITE_CR(3, READ_CR(3));
    set_pkru(3u << 2);
    check_no_fault("AD+WD on key 1 in the PDE only: ring 3 write", run_user(write_fn, TVA + 0x3010, 0));
    test_pd[0] &= ~key(15);
    WRITE_CR(3, READ_CR(3));
    cpuid(0x80000001, 0, r);
    if ((r[3] >> 26) & 1) {
        boot_pdpt[2] = PG_P | PG_RW | PG_US | PG_PS | key(1);
        invlpg(0x80000000ul);
        opt_mode = 1;
        expect_pf("AD+WD: ring 3 read of a 1G page", run_user(read_fn, 0x80000010ul, 0), PF_P | PF_U | PF_PK,
                  0x80000010ul, 0);
        opt_mode = 0;
        boot_pdpt[2] = 0;
        invlpg(0x80000000ul);
    } else {
        opt_skip("1G page keys", "pdpe1gb not advertised");
    }
    set_pkru(0);
    WRITE_CR(4, READ_CR(4) & ~CR4_PKE);
}

void guest_main(void)
{
    uint32_t r[4];
    puts_uart("pku: CR4.PKE, rdpkru/wrpkru, PKRU's AD and WD rights on user pages, #PF with PK\n");
    cpuid(7, 0, r);
    if (!((r[2] >> 3) & 1)) {
        opt_skip("protection keys", "PKU not advertised");
        return;
    }
    boot_pdpt[1] = (ulong)test_pd | PG_P | PG_RW | PG_US;
    test_pd[0] = (ulong)test_pt | PG_P | PG_RW | PG_US;
    WRITE_CR(3, READ_CR(3));
    struct paging_env e = { .pt = test_pt, .pde = &test_pd[0], .tva = TVA };
    test_instructions();
    test_rights(&e);
    test_large_keys(&e);
    (void)boot_pml4;
}
