/* The soft TLB's invalidation (SDM vol. 3, 4.10.4): full and non-global flushes (CR3 writes, CR4.PGE
 * toggles), data rights (WRPKRU), invlpg of a 4 KiB or large page, and dropping write entries of
 * pages that hold translated code. The walks that fill it are in mmu.c.
 *
 * The TLB is direct-mapped, TLB_SIZE entries for each privilege: 1024, where 256 made a Linux boot
 * walk the page tables 3.5 M times against 1.1 M (the XZ decompressor's dictionary, the kernel's
 * direct map). So that a bigger TLB does not make the flushes dearer (a context switch's CR3
 * write is one), each fill sets its entry's bits in the maps of cpu.h (tlb_filled), and the
 * flushes visit the entries the maps name, not the whole array. */
#include <string.h>

#include "accel/soft/cpu.h"
#include "accel/soft/tb.h"

static void set_bit(uint64_t *map, unsigned k)
{
    map[k / 64] |= 1ull << (k % 64);
}

/* Entry (lin, user) was just filled with a translation of rights prot (mmu.c's PROT_*). */
void tlb_filled(struct cpu *c, bool user, uint64_t lin, unsigned prot)
{
    unsigned k = (unsigned)(lin >> 12) & (TLB_SIZE - 1);
    set_bit(c->tlb_used[user], k);
    if (!(prot & PROT_GLOBAL))
        set_bit(c->tlb_ng[user], k);
    if (prot & PROT_LARGE)
        set_bit(c->tlb_big[user], k);
}

static void invalidate(struct tlb_entry *e)
{
    e->tag_read = e->tag_write = e->tag_exec = ~0ull;
}

/* The first entry at or after k that map names, or TLB_SIZE: the flushes' loops. */
static unsigned next_marked(const uint64_t *map, unsigned k)
{
    for (unsigned w = k / 64; w < TLB_MAP_WORDS; w++) {
        uint64_t m = map[w] & (w == k / 64 ? ~0ull << (k % 64) : ~0ull);
        if (m)
            return w * 64 + (unsigned)__builtin_ctzll(m);
    }
    return TLB_SIZE;
}

#define FOR_MARKED(k, map) \
    for (unsigned k = next_marked(map, 0); k < TLB_SIZE; k = next_marked(map, k + 1))

/* Every entry of TLB u named in map: invalidated (or, with global_too false, only the non-global
 * ones); the map emptied. */
static void flush_marked(struct cpu *c, int u, uint64_t *map, bool global_too)
{
    FOR_MARKED(k, map) {
        struct tlb_entry *e = &c->tlb[u][k];
        if (global_too || !e->global)
            invalidate(e);
        if (global_too)
            e->global = false;
    }
    memset(map, 0, TLB_MAP_WORDS * sizeof(*map));
}

void tlb_flush(struct cpu *c)
{
    c->chain_epoch++;
    memset(c->code_regions, 0, sizeof(c->code_regions));
    memset(c->code_pages, 0, sizeof(c->code_pages));
    if (!c->tlb_ready) {
        memset(c->tlb, 0xff, sizeof(c->tlb));   /* all tags ~0: never a page address (bit 0 set) */
        for (int u = 0; u < 2; u++)
            for (unsigned k = 0; k < TLB_SIZE; k++)
                c->tlb[u][k].global = false;     /* 0xff is no valid bool */
        memset(c->tlb_used, 0, sizeof(c->tlb_used));
        c->tlb_ready = true;
    }
    for (int u = 0; u < 2; u++)
        flush_marked(c, u, c->tlb_used[u], true);
    memset(c->tlb_ng, 0, sizeof(c->tlb_ng));
    memset(c->tlb_big, 0, sizeof(c->tlb_big));
}

void tlb_flush_nonglobal(struct cpu *c)
{
    if (!(c->cr4 & CR4_PGE)) {
        tlb_flush(c);
        return;
    }
    c->chain_epoch_ng++;
    for (int u = 0; u < 2; u++)
        flush_marked(c, u, c->tlb_ng[u], false);
}

/* Data access rights changed but not the translations or the fetch rights (a WRPKRU: protection
 * keys do not apply to instruction fetches, SDM vol. 3, 4.6.2): reads and writes walk again,
 * chains and fetches stay. */
void tlb_flush_data(struct cpu *c)
{
    for (int u = 0; u < 2; u++)
        FOR_MARKED(k, c->tlb_used[u])
            c->tlb[u][k].tag_read = c->tlb[u][k].tag_write = ~0ull;
}

/* Every write shortcut dropped: another vCPU made some page code (exec.c), a migration's dirty
 * log synced (dirty.c). */
void tlb_drop_writes(struct cpu *c)
{
    for (int u = 0; u < 2; u++)
        FOR_MARKED(k, c->tlb_used[u])
            c->tlb[u][k].tag_write = ~0ull;
}

/* The virtual page a TLB entry maps, or ~0 when it maps none. */
static uint64_t tlb_vpage(const struct tlb_entry *e)
{
    if (e->tag_read != ~0ull)
        return e->tag_read;
    return e->tag_exec != ~0ull ? e->tag_exec : e->tag_write;
}

/* invlpg: drop the translation of lin, from a 4 KiB page or from the large page holding it. Chains
 * (virtual rip -> block) go stale only when that translation may have been used to fetch code:
 * an exec tag dropped, or blocks fetched from lin's 2 MiB region since the last full flush. (Code
 * run from a 1 GiB page whose exec entry was evicted, remapped and then invalidated through
 * another 2 MiB of it, would keep its chains: kernels do not run code from 1 GiB pages.) */
void tlb_flush_page(struct cpu *c, uint64_t lin)
{
    unsigned r = (unsigned)(lin >> 21) & 4095, p = (unsigned)(lin >> 12) & 32767;
    bool code = ((c->code_regions[r / 64] >> (r % 64)) & 1) || ((c->code_pages[p / 64] >> (p % 64)) & 1);
    uint64_t page = lin & ~0xfffull;
    unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    for (int u = 0; u < 2; u++) {
        struct tlb_entry *e = &c->tlb[u][idx];
        if (e->tag_read == page || e->tag_write == page || e->tag_exec == page) {
            code |= e->tag_exec != ~0ull;
            e->tag_read = e->tag_write = e->tag_exec = ~0ull;
        }
    }
    for (int u = 0; u < 2; u++) {
        FOR_MARKED(k, c->tlb_big[u]) {                  /* (the entries filled from large pages) */
            struct tlb_entry *e = &c->tlb[u][k];
            uint64_t vp = tlb_vpage(e);
            if (e->shift <= 12 || vp == ~0ull || (vp >> e->shift) != (lin >> e->shift))
                continue;
            code |= e->tag_exec != ~0ull;
            invalidate(e);
        }
    }
    if (code)
        c->chain_epoch++;
}

/* A physical page just started holding translated code: its writes must take the slow path. */
void tlb_flush_gpa(struct cpu *c, uint64_t gpa_page)
{
    for (int u = 0; u < 2; u++)
        FOR_MARKED(k, c->tlb_used[u])
            if (c->tlb[u][k].gpa == gpa_page)
                c->tlb[u][k].tag_write = ~0ull;
}
