/* Translation blocks: decode a straight-line run once, keep it in a hash table keyed by guest
 * physical address and mode, and drop it when the guest writes to its page (self-modifying code,
 * code loaded by the guest). */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "accel/soft/decode.h"
#include "accel/soft/jit.h"
#include "accel/soft/tb.h"

#define TB_BUCKETS 65536

struct tb_cache {
    struct tb *bucket[TB_BUCKETS];
    uint8_t *arena;
    size_t size;               /* arena bytes: when full, the whole cache is flushed (as QEMU) */
    size_t used;
    uint64_t translations;
    struct tb_cache_stats st;  /* flushes and high-water marks (tb_cache_get_stats) */
    struct tb *scratch;        /* the one block that is not cached (a traced instruction) */
    struct tb_jc jc[TB_JC_SIZE];
    struct jit_arena *jit;     /* host code of translated blocks; NULL: interpret only */
    bool jit_full;             /* the arena ran out: flush at the next translation */
    int perf_map;              /* VMON_PERF_MAP set: perf's /tmp/perf-PID.map, else -1 */
};

struct code_pages *code_pages_new(void)
{
    struct code_pages *p = calloc(1, sizeof(*p));
    if (p)
        pthread_mutex_init(&p->lock, NULL);
    return p;
}

void code_pages_free(struct code_pages *p)
{
    if (!p)
        return;
    for (unsigned b = 0; b < CODE_PAGE_BUCKETS; b++) {
        struct code_page *cp = p->bucket[b];
        while (cp) {
            struct code_page *n = cp->next;
            free(cp);
            cp = n;
        }
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

bool code_pages_watch(struct code_pages *p, struct cpu *c)
{
    bool ok = false;
    pthread_mutex_lock(&p->lock);
    for (unsigned k = 0; k < CODE_PAGES_WATCHERS && !ok; k++)
        if (!p->watch[k]) {
            p->watch[k] = &c->code_attn;
            ok = true;
        }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void code_pages_unwatch(struct code_pages *p, struct cpu *c)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned k = 0; k < CODE_PAGES_WATCHERS; k++)
        if (p->watch[k] == &c->code_attn)
            p->watch[k] = NULL;
    pthread_mutex_unlock(&p->lock);
}

/* After a bump of p->epoch: the other vCPUs' chained blocks stop for cpu_exec, which clears the
 * flag before it reads the epoch (exec.c), so a bump is never missed. Under the lock, so that a
 * vCPU being destroyed is not written. */
static void code_pages_alert(struct code_pages *p, const struct cpu *c)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned k = 0; k < CODE_PAGES_WATCHERS; k++)
        if (p->watch[k] && p->watch[k] != &c->code_attn)
            atomic_store_explicit(p->watch[k], 1, memory_order_release);
    pthread_mutex_unlock(&p->lock);
}

void code_pages_map_changed(struct code_pages *p)
{
    atomic_fetch_add_explicit(&p->map_epoch, 1, memory_order_release);
    pthread_mutex_lock(&p->lock);
    for (unsigned k = 0; k < CODE_PAGES_WATCHERS; k++)
        if (p->watch[k])
            atomic_store_explicit(p->watch[k], 1, memory_order_release);
    pthread_mutex_unlock(&p->lock);
}

static unsigned page_hash(uint64_t gpa_page)
{
    return (unsigned)((gpa_page >> 12) * 0x9e3779b1u) % CODE_PAGE_BUCKETS;
}

struct code_page *code_page_find(struct code_pages *p, uint64_t gpa_page)
{
    unsigned h = page_hash(gpa_page);
    for (struct code_page *cp = atomic_load_explicit(&p->bucket[h], memory_order_acquire); cp;
         cp = cp->next)
        if (cp->gpa == gpa_page)
            return cp;
    return NULL;
}

static struct code_page *code_page_get(struct code_pages *p, uint64_t gpa_page)
{
    struct code_page *cp = code_page_find(p, gpa_page);
    if (cp)
        return cp;
    pthread_mutex_lock(&p->lock);
    cp = code_page_find(p, gpa_page);
    if (!cp) {
        cp = calloc(1, sizeof(*cp));
        if (!cp)
            abort();
        cp->gpa = gpa_page;
        unsigned h = page_hash(gpa_page);
        cp->next = p->bucket[h];
        atomic_store_explicit(&p->bucket[h], cp, memory_order_release);
    }
    pthread_mutex_unlock(&p->lock);
    return cp;
}

bool code_page_is_code(struct code_pages *p, uint64_t gpa_page)
{
    struct code_page *cp = code_page_find(p, gpa_page);
    return cp && atomic_load_explicit(&cp->has_code, memory_order_relaxed);
}

void code_pages_invalidate(struct code_pages *p, uint64_t gpa_page)
{
    struct code_page *cp = code_page_find(p, gpa_page);
    if (!cp)
        return;
    atomic_fetch_add_explicit(&cp->gen, 1, memory_order_release);
    atomic_store_explicit(&cp->has_code, false, memory_order_relaxed);
}

void code_page_written(struct cpu *c, uint64_t gpa_page)
{
    struct code_page *cp = code_page_find(c->pages, gpa_page);
    if (!cp)
        return;
    atomic_fetch_add_explicit(&cp->gen, 1, memory_order_release);
    atomic_store_explicit(&cp->has_code, false, memory_order_relaxed);
    /* Writes to it may take the fast path again until code is translated from it anew. The block
     * being run may be the one written to: stop it after this instruction. */
    c->tb_end = true;
}

static struct tb *tb_find_slow(struct cpu *c);

/* With VMON_PERF_MAP in the environment, every block translated to host code gets a line in
 * /tmp/perf-PID.map (perf's format for JIT code: start, size, name), named by the guest rip and
 * privilege it was translated at, so that `perf report` puts host samples on guest code. */
static int perf_map_open(void)
{
    if (!getenv("VMON_PERF_MAP"))
        return -1;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

struct tb_cache *tb_cache_new(size_t limit)
{
    if (limit < TB_CACHE_MIN)
        limit = TB_CACHE_MIN;
    struct tb_cache *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    /* A third for the decoded blocks, two for host code: a translated block's host code takes
     * about twice the room of the decoded instructions it replaces. Both are reserved address
     * space, touched only as blocks are made. */
    size_t host = 0;
#if defined(__x86_64__)
    host = (limit / 3 * 2) & ~(size_t)4095;
    t->jit = jit_arena_new(host);
#endif
    t->size = limit - host;
    t->arena = malloc(t->size);
    t->scratch = malloc(sizeof(struct tb) + sizeof(struct insn));
    t->st.limit = limit;
    t->perf_map = perf_map_open();
    if (!t->arena || !t->scratch) {
        tb_cache_free(t);
        return NULL;
    }
    return t;
}

void tb_cache_free(struct tb_cache *t)
{
    if (!t)
        return;
    free(t->arena);
    free(t->scratch);
    jit_arena_free(t->jit);
    if (t->perf_map >= 0)
        close(t->perf_map);
    free(t);
}

void tb_cache_flush(struct tb_cache *t)
{
    if (t->used || jit_arena_used(t->jit))
        t->st.flushes++;
    memset(t->bucket, 0, sizeof(t->bucket));
    memset(t->jc, 0, sizeof(t->jc));
    t->used = 0;
    jit_arena_reset(t->jit);
    t->jit_full = false;
}

void tb_flush(struct cpu *c)
{
    tb_cache_flush(c->tbs);
    c->chain_epoch++;          /* chain slots and jump-cache entries filled before are dead */
    c->last_tb = NULL;         /* next_tb would chain from it: it points into the emptied arena */
    c->link_site = NULL;       /* so does a direct-link site */
}

bool tb_jit(struct cpu *c, struct tb *tb)
{
    struct tb_cache *t = c->tbs;
    if (!t->jit || t->jit_full)
        return false;
    if (!jit_translate(c, tb, t->jit)) {
        t->jit_full = true;
        return false;
    }
    size_t used = jit_arena_used(t->jit);
    if (t->perf_map >= 0)
        dprintf(t->perf_map, "%lx %zx guest:%s:%llx\n", (unsigned long)(uintptr_t)tb->jit,
                used - (size_t)((const uint8_t *)(const void *)tb->jit - jit_arena_base(t->jit)),
                c->cpl == 3 ? "user" : "kernel", (unsigned long long)c->rip);
    if (used > t->st.host_high)
        t->st.host_high = used;
    return true;
}

void tb_cache_get_stats(const struct tb_cache *t, struct tb_cache_stats *s)
{
    *s = t->st;
    s->translations = t->translations;
}

size_t tb_cache_jc_offset(void)
{
    return offsetof(struct tb_cache, jc);
}

uint64_t tb_cache_translations(const struct tb_cache *t)
{
    return t->translations;
}

static unsigned tb_hash(uint64_t gpa, unsigned mode)
{
    return (unsigned)(((gpa ^ mode) * 0x9e3779b97f4a7c15ull) >> 48) % TB_BUCKETS;
}

/* The host pointer of the code page holding linear address lin, through the TLB's exec tag. */
static const uint8_t *fetch_page(struct cpu *c, uint64_t lin, uint64_t *gpa_page)
{
    bool user = cpu_user(c);
    struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    uint64_t page = lin & ~0xfffull;
    if (e->tag_exec != page) {
        uint64_t gpa;
        unsigned prot;
        mmu_translate(c, lin, ACC_EXEC, user, &gpa, &prot, false);
        uint8_t *host;
        bool writable;
        if (!phys_is_mem(c->env->phys_page(c, gpa & ~0xfffull, &host, &writable))) {
            /* Executing from MMIO or unbacked memory: a #PF in the flat runner, else #GP-like
             * machine check; report as #PF on a non-present page which the guest can see. */
            c->cr2 = lin;
            cpu_raise(c, EXC_PF, true, (user ? 4u : 0u) | 0x10u);
        }
        if (e->tag_read != page && e->tag_write != page)
            e->tag_read = e->tag_write = ~0ull;
        e->tag_exec = page;
        e->host = (uintptr_t)host;
        e->addend = (uintptr_t)host - (uintptr_t)page;
        e->gpa = gpa & ~0xfffull;
        e->global = (prot & PROT_GLOBAL) != 0;
        e->shift = (uint8_t)PROT_PAGE_SHIFT(prot);
        tlb_filled(c, user, lin, prot);
    }
    *gpa_page = e->gpa;
    c->fetch_global = e->global;
    if (e->shift > 12) {
        unsigned r = (unsigned)(lin >> 21) & 4095;
        c->code_regions[r / 64] |= 1ull << (r % 64);
    } else {
        unsigned p = (unsigned)(lin >> 12) & 32767;
        c->code_pages[p / 64] |= 1ull << (p % 64);
    }
    return (const uint8_t *)e->host;
}

/* Linear address of the current rip (CS base applies outside 64-bit mode). */
static uint64_t rip_linear(struct cpu *c)
{
    if (c->code_size == 8)
        return c->rip;
    return (uint32_t)(c->seg[SEG_CS].base + c->rip);
}

/* The page after the one lin is on, for an instruction that runs on into it; c->fetch_global
 * stays true only if both pages are global. */
static const uint8_t *fetch_next_page(struct cpu *c, uint64_t lin, uint64_t *gpa_page)
{
    bool global = c->fetch_global;
    const uint8_t *next = fetch_page(c, (lin & ~0xfffull) + 4096, gpa_page);
    c->fetch_global = c->fetch_global && global;
    return next;
}

/* Does linear rip (lin, its page at gpa_page) still reach tb's bytes: for a block that runs into
 * the next page, does that page still map to the one it was made from too. */
static bool tb_still_mapped(struct cpu *c, const struct tb *tb, uint64_t lin, uint64_t gpa_page)
{
    if ((gpa_page | (lin & 0xfff)) != tb->gpa)
        return false;
    uint64_t gpa2;
    return !tb->page2 || (fetch_next_page(c, lin, &gpa2), gpa2 == tb->gpa2);
}

/* The first instruction of a block does not decode: #GP when too long, #UD otherwise, reported on
 * stderr only when the opcode is one we do not implement (not for architecturally invalid forms). */
static _Noreturn void decode_fault(struct cpu *c, int r, const struct insn *i, unsigned n)
{
    if (r == -EXC_GP)
        cpu_raise_gp(c, 0);
    if (!opcode_table[i->op].fn) {
        struct insn fake = { .len = (uint8_t)(n > 15 ? 15 : n) };
        cpu_unimplemented(c, &fake);
    }
    cpu_raise_ud(c);
}

/* Does control (or the mode) change after i? FF ends a block only as call/jmp (not inc/dec/push). */
static bool ends_block(const struct insn *i)
{
    if (!(opcode_table[i->op].flags & D_END))
        return false;
    if (i->op == 0xff) {
        unsigned sub = (i->modrm >> 3) & 7;
        return sub >= 2 && sub <= 5;
    }
    return true;
}

static void mark_code(struct cpu *c, struct code_page *cp)
{
    if (!atomic_exchange_explicit(&cp->has_code, true, memory_order_acq_rel)) {
        tlb_flush_gpa(c, cp->gpa);
        atomic_fetch_add_explicit(&c->pages->epoch, 1, memory_order_release);
        c->code_epoch_seen++;
        code_pages_alert(c->pages, c);
    }
}

static struct tb *translate(struct cpu *c, uint64_t lin, uint64_t gpa, const uint8_t *page,
                                  struct code_page *cp, unsigned mode, unsigned h)
{
    struct tb_cache *t = c->tbs;
    size_t need = sizeof(struct tb) + TB_MAX_INSNS * sizeof(struct insn);
    if (t->used + need > t->size || t->jit_full)
        tb_flush(c);
    struct tb *tb = (struct tb *)(void *)(t->arena + t->used);
    tb->gpa = gpa;
    tb->page = cp;
    tb->mode = (uint8_t)mode;
    tb->ninsn = 0;
    tb->shadow_done = false;
    tb->cached = false;
    tb->page2 = NULL;
    tb->jit = NULL;
    tb->hits = 0;
    tb->chain_epoch = c->chain_epoch - 1;
    /* Empty chain slots: no rip can match them at any privilege (cpl 0xff). */
    for (int k = 0; k < 2; k++) {
        tb->chain_rip[k] = ~0ull;
        tb->chain_cpl[k] = 0xff;
        tb->chain[k] = NULL;
    }
    /* Read the generation before the bytes: a write racing with us makes the block stale. */
    tb->gen = atomic_load_explicit(&cp->gen, memory_order_acquire);
    mark_code(c, cp);
    unsigned off = (unsigned)(lin & 0xfff);
    while (tb->ninsn < TB_MAX_INSNS) {
        struct insn *i = &tb->insn[tb->ninsn];
        unsigned avail = 4096 - off;
        int r = decode_insn(i, page + off, avail > 15 ? 15 : avail, mode);
        if (r == 0 && avail >= 15)
            r = -EXC_GP;         /* 15 bytes and still incomplete: too long, not page-crossing */
        if (r == 0) {
            /* The instruction continues on the next page. */
            if (tb->ninsn > 0)
                break;
            uint8_t buf[15];
            memcpy(buf, page + off, avail);
            const uint8_t *next = fetch_next_page(c, lin, &tb->gpa2);
            tb->page2 = code_page_get(c->pages, tb->gpa2);
            tb->gen2 = atomic_load_explicit(&tb->page2->gen, memory_order_acquire);
            mark_code(c, tb->page2);
            memcpy(buf + avail, next, 15 - avail);
            r = decode_insn(i, buf, 15, mode);
            if (r == 0)
                r = -EXC_GP;
            if (r <= 0)
                decode_fault(c, r, i, 15);
            tb->ninsn = 1;       /* a block of its own, kept: tb_find checks both pages */
            break;
        }
        if (r < 0) {
            if (tb->ninsn > 0)
                break;           /* fault when execution gets there */
            decode_fault(c, r, i, avail > 15 ? 15 : avail);
        }
        tb->ninsn++;
        off += (unsigned)r;
        /* sti holds interrupts off until the next instruction has run (SDM vol. 2B, STI): the
         * block ends after that one, where cpu_exec looks at interrupts ("sti; nop; cli" is a
         * window), and says the shadow is over by then (shadow_done). */
        if (tb->ninsn >= 2 && tb->insn[tb->ninsn - 2].op == 0xfb) {
            tb->shadow_done = true;
            break;
        }
        if (ends_block(i) || off >= 4096 || c->trace)
            break;
        /* The flat runner's stop address ends a block, so it is only checked between blocks. */
        if (c->has_stop_rip && ((lin & ~0xfffull) | off) == c->stop_rip)
            break;
    }
    if (c->trace) {
        /* Not kept: copy to scratch so the arena slot is reused. */
        memcpy(t->scratch, tb, sizeof(struct tb) + sizeof(struct insn));
        t->scratch->ninsn = 1;
        t->scratch->cached = false;
        return t->scratch;
    }
    t->used += sizeof(struct tb) + tb->ninsn * sizeof(struct insn);
    t->used = (t->used + 15) & ~(size_t)15;
    if (t->used > t->st.blocks_high)
        t->st.blocks_high = t->used;
    tb->hash_next = t->bucket[h];
    tb->cached = true;
    t->bucket[h] = tb;
    t->translations++;
    return tb;
}

struct tb *tb_find(struct cpu *c)
{
    /* A transfer to a non-canonical rip is #GP(0) at the transferring instruction, which is still
     * c->insn_rip here (SDM vol. 2, JMP: "IF tempRIP is not canonical THEN #GP(0)"). */
    if (c->code_size == 8 && !cpu_canonical(c, c->rip))
        cpu_raise_gp(c, 0);
    struct tb_cache *tc = c->tbs;
    unsigned j = (unsigned)(c->rip ^ (c->rip >> 12)) & (TB_JC_SIZE - 1);
    struct tb *hit = tc->jc[j].tb;
    if (hit && tc->jc[j].rip == c->rip && tc->jc[j].cpl == c->cpl && hit->mode == c->code_size &&
        !c->trace && tb_current(hit)) {
        if (tc->jc[j].epoch == c->chain_epoch &&
            (tc->jc[j].global || tc->jc[j].epoch_ng == c->chain_epoch_ng)) {
            c->fetch_global = tc->jc[j].global;   /* next_tb's chain slot takes it */
            return hit;
        }
        /* Filled before a TLB flush: still the block if rip still maps to its physical page
         * (an arena flush empties jc[], so hit is a block of this arena). */
        c->insn_rip = c->rip;
        uint64_t lin = rip_linear(c), gpa_page;
        fetch_page(c, lin, &gpa_page);
        if (tb_still_mapped(c, hit, lin, gpa_page)) {
            tc->jc[j].epoch = c->chain_epoch;
            tc->jc[j].epoch_ng = c->chain_epoch_ng;
            tc->jc[j].global = c->fetch_global;
            return hit;
        }
    }
    c->fetch_global = false;
    hit = tb_find_slow(c);
    if (hit->cached) {
        tc->jc[j].rip = c->rip;
        tc->jc[j].epoch = c->chain_epoch;
        tc->jc[j].cpl = c->cpl;
        tc->jc[j].epoch_ng = c->chain_epoch_ng;
        tc->jc[j].global = c->fetch_global;
        tc->jc[j].tb = hit;
    }
    return hit;
}

/* The block at rip through the TLB and the hash table, translating it if needed. */
static struct tb *tb_find_slow(struct cpu *c)
{
    /* A fetch or decode fault belongs to the instruction at rip. */
    c->insn_rip = c->rip;
    uint64_t lin = rip_linear(c);
    uint64_t gpa_page;
    const uint8_t *page = fetch_page(c, lin, &gpa_page);
    uint64_t gpa = gpa_page | (lin & 0xfff);
    unsigned mode = c->code_size;
    unsigned h = tb_hash(gpa, mode);
    struct tb_cache *t = c->tbs;
    /* Blocks made stale by writes to their page leave the chain as the walk meets them (they stay
     * in the arena, where chains and the jump cache check their generation, until a flush): left
     * there, a page rewritten again and again (freed and reused for other code, as a system that
     * starts many programs does) grew its buckets' chains without end, and every miss walked them. */
    for (struct tb **pp = &t->bucket[h], *tb; (tb = *pp) != NULL;) {
        if (!tb_current(tb)) {
            *pp = tb->hash_next;
            continue;
        }
        if (tb->gpa == gpa && tb->mode == mode && (!tb->page2 || tb_still_mapped(c, tb, lin, gpa_page))) {
            if (!c->trace)
                return tb;
            break;               /* traced: decoded afresh each time */
        }
        pp = &tb->hash_next;
    }
    struct code_page *cp = code_page_get(c->pages, gpa_page);
    return translate(c, lin, gpa, page, cp, mode, h);
}
