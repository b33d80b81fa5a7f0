/* Translation blocks: straight-line runs of decoded instructions, cached by guest physical address
 * and CPU mode (QEMU's TranslationBlock, accel/tcg/cpu-exec.c), invalidated when their page is
 * written. */
#ifndef VMON_ACCEL_SOFT_TB_H
#define VMON_ACCEL_SOFT_TB_H

#include <pthread.h>

#include "accel/soft/cpu.h"

/* A guest physical page that holds (or held) translated code. Its generation goes up on every
 * write that reaches it through the slow path; a block is valid while its recorded generation
 * matches. Pages live until the VM ends, so blocks may point at them. */
struct code_page {
    uint64_t gpa;
    _Atomic uint32_t gen;
    _Atomic bool has_code;     /* blocks were made from it since the last write */
    struct code_page *next;
};

#define CODE_PAGE_BUCKETS 4096
#define CODE_PAGES_WATCHERS 64     /* vCPUs sharing one set of code pages (VM_MAX_CPUS) */
struct code_pages {
    pthread_mutex_t lock;      /* insertion only; lookups of existing pages are lock-free */
    struct code_page *_Atomic bucket[CODE_PAGE_BUCKETS];
    _Atomic unsigned epoch;    /* bumped when a page becomes code: other vCPUs drop TLB writes */
    _Atomic unsigned map_epoch;    /* bumped when guest-physical pages map elsewhere: TLBs flush */
    /* The vCPUs' code_attn flags (cpu.h's attention word), raised after each bump so that their
     * chained blocks stop for cpu_exec's look at the epoch; under lock. */
    _Atomic uint8_t *watch[CODE_PAGES_WATCHERS];
};

#define TB_MAX_INSNS 64
struct tb;
typedef void (*jit_fn)(struct cpu *c, struct tb *tb);   /* a translated block (jit.c) */
struct tb {
    uint64_t gpa;              /* guest physical address of the first byte */
    struct tb *hash_next;
    struct code_page *page;
    uint32_t gen;              /* page->gen when translated */
    /* A block of one instruction that runs on into the next page (QEMU's TBs with two page
     * addresses): that page too, its generation then and its physical address, which tb_find
     * checks the mapping of linear rip's next page against. NULL for every other block. */
    struct code_page *page2;
    uint32_t gen2;
    uint64_t gpa2;
    uint8_t mode;              /* code size 2/4/8 */
    bool cached;               /* false for a one-off block (not in the hash table, not chained) */
    uint16_t ninsn;
    bool shadow_done;          /* ends right after an sti: its interrupt shadow is over (tb.c) */
    /* Direct chaining: the blocks that followed this one, by the rip they started at. Valid while
     * the vCPU's chain_epoch (bumped by TLB flushes, mode changes and cache flushes) is unchanged,
     * so a hot loop goes from block to block without a TLB or hash lookup. */
    uint32_t chain_epoch;
    uint64_t chain_rip[2];
    uint8_t chain_cpl[2];      /* the privilege the fetch permission was checked at */
    bool chain_global[2];      /* target on a global page: survives CR3 writes */
    uint32_t chain_epoch_ng[2];
    struct tb *chain[2];
    /* The host code translated from this block, once it ran often enough, for the privilege it
     * was translated at (the soft TLB it looks into). */
    jit_fn jit;
    uint16_t hits;
    uint8_t jit_cpl;
    struct insn insn[];
};

struct tb_cache;

/* Still the code it was made from: neither of its pages written since. */
static inline bool tb_current(const struct tb *tb)
{
    return tb->gen == atomic_load_explicit(&tb->page->gen, memory_order_acquire) &&
           (!tb->page2 || tb->gen2 == atomic_load_explicit(&tb->page2->gen, memory_order_acquire));
}

/* The jump cache (QEMU's tb_jmp_cache): virtual rip -> block, for the transfers chaining misses
 * (returns, indirect jumps), indexed by (rip ^ rip >> 12) & (TB_JC_SIZE - 1). An entry is valid
 * only for the chain epoch it was filled in. The translator looks into it too. 65536 entries
 * (2 MiB): with 16384, a Linux boot missed it ~480,000 times (each a hash-table walk that misses
 * the host's caches), with 65536 200,000 to 300,000 times. */
#define TB_JC_SIZE 65536
struct tb_jc {
    uint64_t rip;
    uint32_t epoch, epoch_ng;
    uint8_t cpl;
    bool global;
    struct tb *tb;
};
size_t tb_cache_jc_offset(void);   /* where jc[] is in struct tb_cache */

struct code_pages *code_pages_new(void);
void code_pages_free(struct code_pages *p);
/* A vCPU sharing p: c->code_attn is raised whenever another vCPU bumps p->epoch. False: no room. */
bool code_pages_watch(struct code_pages *p, struct cpu *c);
void code_pages_unwatch(struct code_pages *p, struct cpu *c);
struct code_page *code_page_find(struct code_pages *p, uint64_t gpa_page);
bool code_page_is_code(struct code_pages *p, uint64_t gpa_page);
/* A write reached a code page through the slow path: invalidate its blocks. */
void code_page_written(struct cpu *c, uint64_t gpa_page);
/* The host wrote the page (a debugger's breakpoint): blocks made from it are stale. */
void code_pages_invalidate(struct code_pages *p, uint64_t gpa_page);
/* Guest-physical pages now map to other host memory (the PAM): every vCPU sharing p, the caller's
 * too, flushes its TLB before its next block (exec.c). */
void code_pages_map_changed(struct code_pages *p);

/* A vCPU's code cache: its decoded blocks and their host code in at most limit bytes (the block
 * hash table and the jump cache, 2.5 MiB, come on top); when either part is full, everything is
 * flushed, as QEMU's TCG does (tb_flush), and chains, the jump cache and last_tb forgotten. */
#define TB_CACHE_MIN (256u << 10)
struct tb_cache *tb_cache_new(size_t limit);
void tb_cache_free(struct tb_cache *t);
void tb_cache_flush(struct tb_cache *t);
/* Flush c's cache and forget every pointer c holds into it (chains, the jump cache, last_tb). */
void tb_flush(struct cpu *c);
/* The block starting at the current rip (translating it if needed). Faults (#PF on fetch, #UD on
 * an undecodable first instruction, #GP for a too-long one) are raised as guest exceptions. */
struct tb *tb_find(struct cpu *c);
/* Statistics for --exit-stats style reports and tests. */
uint64_t tb_cache_translations(const struct tb_cache *t);
struct tb_cache_stats {
    size_t limit;              /* what tb_cache_new was given (at least TB_CACHE_MIN) */
    size_t blocks_high;        /* the most bytes of decoded blocks held at once */
    size_t host_high;          /* the most bytes of host code held at once */
    uint64_t flushes;          /* of a non-empty cache: full, or a reset */
    uint64_t translations;     /* blocks decoded into the cache */
};
void tb_cache_get_stats(const struct tb_cache *t, struct tb_cache_stats *s);
/* Translate tb to host code (jit.c) into the cache's executable arena; false when it cannot be
 * (the arena being full makes the next translation flush the whole cache). */
bool tb_jit(struct cpu *c, struct tb *tb);

#endif
