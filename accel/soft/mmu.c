/* Paging (SDM vol. 3, chapter 4): 32-bit, PAE, 4- and 5-level walks with A/D bits, U/S, R/W, WP, NX and
 * protection keys, and the PDPTE check of PAE CR3 loads. The soft TLB that caches the result is in tlb.c. */
#include <stdio.h>

#include "accel/soft/cpu.h"
#include "accel/soft/tb.h"

#define PTE_P   0x1ull
#define PTE_W   0x2ull
#define PTE_U   0x4ull
#define PTE_A   0x20ull
#define PTE_D   0x40ull
#define PTE_PS  0x80ull
#define PTE_NX  (1ull << 63)
#define PF_P    0x1u
#define PF_W    0x2u
#define PF_U    0x4u
#define PF_RSVD 0x8u
#define PF_I    0x10u
#define PF_PK   0x20u
#define PTE_PKEY(e) ((unsigned)((e) >> 59) & 0xf)   /* 4-level entries, bits 62:59 */
#define ADDR_MASK 0x000ffffffffff000ull   /* 52-bit physical addresses */
/* Bits 51:40 of an entry: above the 40 physical address bits CPUID reports, so reserved (4.7). */
#define RSVD_PHYS 0x000fff0000000000ull
/* PAE entries: bits 62:52 are reserved too (SDM tables 4-8 to 4-11; 4-level paging ignores them). */
#define RSVD_PAE_HI 0x7ff0000000000000ull
/* Large-page entries: the bits between PAT (12) and the page's address: 20:13 of a 2 MiB one,
 * 29:13 of a 1 GiB one (tables 4-17, 4-15); bit 21 of a 4 MiB PSE-36 one (table 4-4). */
#define RSVD_2M  0x00000000001fe000ull
#define RSVD_1G  0x000000003fffe000ull
#define RSVD_4M  0x0000000000200000ull
/* PAE PDPTEs: bits 2:1, 8:5 and 63:MAXPHYADDR (table 4-8). */
#define RSVD_PDPTE (0x1e6ull | RSVD_PHYS | 0xfff0000000000000ull)

/* A paging-structure entry in guest RAM, as a host pointer (NULL when not RAM). */
static uint64_t *pte_ptr(struct cpu *c, uint64_t gpa, unsigned size)
{
    uint8_t *host;
    bool writable;
    if (c->env->phys_page(c, gpa & ~0xfffull, &host, &writable) != PHYS_RAM)
        return NULL;
    (void)size;
    return (uint64_t *)(void *)(host + (gpa & 0xfff));
}

static _Noreturn void page_fault(struct cpu *c, uint64_t lin, uint32_t err)
{
    c->cr2 = lin;
    cpu_raise(c, EXC_PF, true, err);
}

/* Large pages a model may leave out: 1 GiB pages (CPUID 0x80000001 EDX 26) and PSE-36 (1 EDX 17).
 * Without them PS in a PDPTE, and bits 20:13 of a 4 MiB PDE, are reserved. Read from CPUID once
 * (a walk through a 1 GiB page is common: Linux's direct map). */
#define MMU_FEAT_KNOWN 1u
#define MMU_FEAT_1G    2u
#define MMU_FEAT_PSE36 4u

static bool model_has(struct cpu *c, unsigned feat)
{
    if (!(c->mmu_feats & MMU_FEAT_KNOWN)) {
        uint32_t r[4];
        unsigned f = MMU_FEAT_KNOWN;
        cpuid_query(c, 0x80000001, 0, r);
        f |= (r[3] >> 26) & 1 ? MMU_FEAT_1G : 0;
        cpuid_query(c, 1, 0, r);
        f |= (r[3] >> 17) & 1 ? MMU_FEAT_PSE36 : 0;
        c->mmu_feats = (uint8_t)f;
    }
    return (c->mmu_feats & feat) != 0;
}

/* Walk state shared by the three formats: entries to mark accessed, rights accumulated. */
struct walk {
    uint64_t *ent[5];
    bool wide[5];              /* 8-byte entries (PAE, 4-level) vs 4-byte (32-bit paging) */
    int n;
    bool w, u, nx;
};

static uint64_t walk_read(struct walk *wk, uint64_t *p, bool wide)
{
    wk->ent[wk->n] = p;
    wk->wide[wk->n] = wide;
    wk->n++;
    if (wide)
        return __atomic_load_n(p, __ATOMIC_RELAXED);
    return __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
}

static void set_bits(struct cpu *c, uint64_t *p, bool wide, uint64_t bits)
{
    /* Atomic OR: another vCPU may be walking or updating the same entry (SDM vol. 3, 4.8). A
     * change is a write a live migration's log must see. */
    if (wide) {
        if ((__atomic_load_n(p, __ATOMIC_RELAXED) & bits) != bits) {
            cpu_ram_written(c, (const uint8_t *)p);
            __atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
        }
    } else {
        uint32_t *q = (uint32_t *)p;
        if ((__atomic_load_n(q, __ATOMIC_RELAXED) & bits) != bits) {
            cpu_ram_written(c, (const uint8_t *)p);
            __atomic_fetch_or(q, (uint32_t)bits, __ATOMIC_RELAXED);
        }
    }
}

bool mmu_translate(struct cpu *c, uint64_t lin, enum access acc, bool user, uint64_t *gpa,
                   unsigned *prot, bool probe)
{
    if (!(c->cr0 & CR0_PG)) {
        *gpa = lin;
        *prot = PROT_R | PROT_W | PROT_X;
        return true;
    }
    struct walk wk = { .n = 0, .w = true, .u = true, .nx = false };
    bool nxe = (c->efer & EFER_NXE) != 0;
    uint32_t err = (acc == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0);
    /* I/D only where XD exists (NXE under PAE or 4-level paging) or with SMEP (SDM 4.7). */
    if (acc == ACC_EXEC && ((nxe && (c->cr4 & CR4_PAE)) || (c->cr4 & CR4_SMEP)))
        err |= PF_I;
    uint64_t e = 0, page_size = 4096, base;
    uint64_t rsvd_nx = nxe ? 0 : PTE_NX;

    if (c->efer & EFER_LMA) {
        /* 4-level paging: PML4 -> PDPT -> PD -> PT; 5-level (CR4.LA57) puts a PML5 on top, indexed
         * by bits 56:48 (SDM vol. 3, 4.5). PS is reserved in PML5 and PML4 entries. */
        base = c->cr3 & ADDR_MASK;
        for (int level = (c->cr4 & CR4_LA57) ? 4 : 3; level >= 0; level--) {
            uint64_t *p = pte_ptr(c, base + (((lin >> (12 + 9 * level)) & 511) << 3), 8);
            if (!p)
                goto not_present;
            e = walk_read(&wk, p, true);
            if (!(e & PTE_P))
                goto not_present;
            if ((e & (rsvd_nx | RSVD_PHYS)) || ((e & PTE_PS) && level >= 3))
                goto reserved;
            if ((e & PTE_PS) && ((level == 1 && (e & RSVD_2M)) || (level == 2 && (e & RSVD_1G))))
                goto reserved;
            if ((e & PTE_PS) && level == 2 && !model_has(c, MMU_FEAT_1G))
                goto reserved;
            wk.w &= (e & PTE_W) != 0;
            wk.u &= (e & PTE_U) != 0;
            wk.nx |= (e & PTE_NX) != 0;
            if (level > 0 && (e & PTE_PS)) {
                page_size = 1ull << (12 + 9 * level);
                break;
            }
            base = e & ADDR_MASK;
        }
    } else if (c->cr4 & CR4_PAE) {
        /* PAE: 4 PDPTEs (no rights in them), then PD and PT with 8-byte entries (4.4). */
        uint64_t *p = pte_ptr(c, (c->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8, 8);
        if (!p)
            goto not_present;
        uint64_t pdpte = __atomic_load_n(p, __ATOMIC_RELAXED);
        if (!(pdpte & PTE_P))
            goto not_present;
        /* Checked when CR3 was loaded (mmu_pdptes_valid); seen here only if changed since. */
        if (pdpte & RSVD_PDPTE)
            goto reserved;
        base = pdpte & ADDR_MASK;
        for (int level = 1; level >= 0; level--) {
            p = pte_ptr(c, base + (((lin >> (12 + 9 * level)) & 511) << 3), 8);
            if (!p)
                goto not_present;
            e = walk_read(&wk, p, true);
            if (!(e & PTE_P))
                goto not_present;
            if (e & (rsvd_nx | RSVD_PHYS | RSVD_PAE_HI))
                goto reserved;
            if (level == 1 && (e & PTE_PS) && (e & RSVD_2M))
                goto reserved;
            wk.w &= (e & PTE_W) != 0;
            wk.u &= (e & PTE_U) != 0;
            wk.nx |= (e & PTE_NX) != 0;
            if (level == 1 && (e & PTE_PS)) {
                page_size = 2u << 20;
                break;
            }
            base = e & ADDR_MASK;
        }
    } else {
        /* 32-bit paging: PD -> PT with 4-byte entries, 4 MiB pages with CR4.PSE (4.3). */
        uint64_t *p = pte_ptr(c, (c->cr3 & 0xfffff000u) + ((lin >> 22) & 1023) * 4, 4);
        if (!p)
            goto not_present;
        e = walk_read(&wk, p, false);
        if (!(e & PTE_P))
            goto not_present;
        wk.w &= (e & PTE_W) != 0;
        wk.u &= (e & PTE_U) != 0;
        if ((e & PTE_PS) && (c->cr4 & CR4_PSE)) {
            if ((e & RSVD_4M) || ((e & 0x1fe000) && !model_has(c, MMU_FEAT_PSE36)))
                goto reserved;
            page_size = 4u << 20;
            /* PSE-36: bits 20:13 of the PDE are physical bits 39:32. */
            e = (e & 0xffc00000u) | ((e & 0x1fe000ull) << 19) | (e & 0xfff);
        } else {
            p = pte_ptr(c, (e & 0xfffff000u) + ((lin >> 12) & 1023) * 4, 4);
            if (!p)
                goto not_present;
            e = walk_read(&wk, p, false);
            if (!(e & PTE_P))
                goto not_present;
            wk.w &= (e & PTE_W) != 0;
            wk.u &= (e & PTE_U) != 0;
        }
        e &= 0xffffffffffull;
    }

    /* Rights (SDM vol. 3, 4.6). SMAP/SMEP are not advertised: supervisor may touch user pages. */
    bool wp = (c->cr0 & CR0_WP) != 0, pk_read = true, pk_write = true;
    bool can_write = user ? (wk.u && wk.w) : (wk.w || !wp);
    bool can_exec = !wk.nx && (!user || wk.u);
    /* Protection keys (4.6.2): data accesses to user-mode addresses under 4-level paging with
     * CR4.PKE, by the leaf entry's key: AD forbids them, WD forbids writes (for supervisor
     * accesses only with CR0.WP). Instruction fetches are not subject to them. A fault the key
     * causes reports PK, also when the page's own rights forbid the access too (as KVM models it). */
    if ((c->cr4 & CR4_PKE) && (c->efer & EFER_LMA) && wk.u) {
        unsigned key = PTE_PKEY(e);
        bool ad = (c->pkru >> (2 * key)) & 1, wd = (c->pkru >> (2 * key + 1)) & 1;
        pk_read = !ad;
        pk_write = !ad && !(wd && (user || wp));
        if ((acc == ACC_READ && !pk_read) || (acc == ACC_WRITE && !pk_write))
            err |= PF_PK;
    }
    if (user && !wk.u)
        goto protection;
    if (acc == ACC_WRITE && !can_write)
        goto protection;
    if (acc == ACC_EXEC && !can_exec)
        goto protection;
    if (err & PF_PK)
        goto protection;

    if (!probe) {
        for (int k = 0; k < wk.n; k++)
            set_bits(c, wk.ent[k], wk.wide[k], PTE_A);
        if (acc == ACC_WRITE)
            set_bits(c, wk.ent[wk.n - 1], wk.wide[wk.n - 1], PTE_D);
    }
    bool dirty = acc == ACC_WRITE ||
                 (wk.wide[wk.n - 1] ? (*wk.ent[wk.n - 1] & PTE_D)
                                    : (*(uint32_t *)wk.ent[wk.n - 1] & PTE_D));
    *prot = (pk_read ? PROT_R : 0) | (can_write && dirty && pk_write ? PROT_W : 0) |
            (can_exec ? PROT_X : 0);
    if (page_size > 4096)
        *prot |= PROT_LARGE;   /* tells the TLB fill this came from a large page */
    *prot |= (unsigned)__builtin_ctzll(page_size) << 8;   /* PROT_PAGE_SHIFT */
    if ((e & 0x100) && (c->cr4 & CR4_PGE))
        *prot |= PROT_GLOBAL;
    *gpa = ((e & ADDR_MASK & ~(page_size - 1)) | (lin & (page_size - 1)));
    return true;

not_present:
    if (probe)
        return false;
    page_fault(c, lin, err);
reserved:
    if (probe)
        return false;
    page_fault(c, lin, err | PF_P | PF_RSVD);
protection:
    if (probe)
        return false;
    page_fault(c, lin, err | PF_P);

}

/* PAE paging loads the four PDPTEs with CR3 (SDM vol. 3, 4.4.1): false when one is present with a
 * reserved bit set, which makes the instruction loading them #GP(0). */
bool mmu_pdptes_valid(struct cpu *c, uint64_t cr3)
{
    for (unsigned k = 0; k < 4; k++) {
        uint64_t *p = pte_ptr(c, (cr3 & 0xffffffe0u) + k * 8, 8);
        uint64_t e = p ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
        if ((e & PTE_P) && (e & RSVD_PDPTE))
            return false;
    }
    return true;
}
