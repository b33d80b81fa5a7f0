/* Guest memory accesses: effective address, segmentation, then the soft TLB (a hit is one compare
 * and a host load/store); misses walk the page tables, and what is not RAM goes to the MMIO bus. */
#include "accel/soft/cpu.h"
#include "accel/soft/debug.h"
#include "accel/soft/seg.h"
#include "accel/soft/tb.h"

uint64_t insn_ea(struct cpu *c, const struct insn *i)
{
    uint64_t ea = (uint64_t)(int64_t)i->disp;
    if (i->base != NO_REG)
        ea += i->base == RIP_REG ? c->rip : c->gpr[i->base];
    if (i->index != NO_REG)
        ea += c->gpr[i->index] << i->scale;
    return ea & size_mask(i->addrsize);
}

/* The checks of a data access through a segment outside 64-bit mode (SDM vol. 3, 5.3 limit
 * checking, 5.4 type checking): true when [off, off + size) may be accessed as acc. In protected
 * mode the segment must be usable (a null selector leaves it unusable: attr without P), writes need
 * a writable data segment and reads a data or readable code segment. Real and virtual-8086 mode
 * check only the (cached) limit. */
bool seg_legacy_ok(const struct cpu *c, const struct seg_cache *s, uint64_t off, unsigned size,
                          enum access acc)
{
    unsigned a = s->attr;
    if ((c->cr0 & CR0_PE) && !(c->flags & F_VM)) {
        if (!(a & SEG_A_P))
            return false;
        bool code = a & 8, rw = a & 2;
        if (acc == ACC_WRITE ? code || !rw : code && !rw)
            return false;
    }
    uint64_t last = off + size - 1;
    if ((a & (SEG_A_S | 8 | 4)) == (SEG_A_S | 4)) {
        /* Expand-down data: the valid offsets are limit+1 up to 64 KiB or 4 GiB - 1 (by B). */
        uint64_t top = (a & SEG_A_DB) ? 0xffffffffull : 0xffffull;
        return off > s->limit && last <= top;
    }
    return last <= s->limit;
}

uint64_t seg_linear(struct cpu *c, int seg, uint64_t off, unsigned size, enum access acc)
{
    if (c->code_size == 8) {
        uint64_t lin = off;
        if (seg == SEG_FS || seg == SEG_GS)
            lin += c->seg[seg].base;
        /* Canonical check (SDM vol. 1, 3.3.7.1): #SS for stack references, else #GP(0). */
        if (!cpu_canonical(c, lin))
            cpu_raise(c, seg == SEG_SS ? EXC_SS : EXC_GP, true, 0);
        return lin;
    }
    /* Legacy and compatibility modes: a violation is #SS(0) for SS-relative accesses, else #GP(0). */
    const struct seg_cache *s = &c->seg[seg];
    if (!seg_legacy_ok(c, s, off, size, acc))
        cpu_raise(c, seg == SEG_SS ? EXC_SS : EXC_GP, true, 0);
    return (uint32_t)(s->base + off);
}

/* Fill the TLB entry for lin after a miss; returns it, or NULL for MMIO (*gpa set). */
static struct tlb_entry *tlb_fill(struct cpu *c, uint64_t lin, enum access acc, bool user,
                                  uint64_t *gpa)
{
    unsigned prot;
    mmu_translate(c, lin, acc, user, gpa, &prot, false);
    uint8_t *host;
    bool writable;
    uint64_t page = *gpa & ~0xfffull;
    enum phys_kind k = c->env->phys_page(c, page, &host, &writable);
    if (k == PHYS_NONE) {
        /* Only the flat runner has holes: report them as a not-present page. */
        c->cr2 = lin;
        cpu_raise(c, EXC_PF, true, (acc == ACC_WRITE ? 2u : 0u) | (user ? 4u : 0u) |
                                   (acc == ACC_EXEC ? 0x10u : 0u));
    }
    if (k == PHYS_MMIO || (k == PHYS_ROM && acc == ACC_WRITE))
        return NULL;
    if (acc == ACC_WRITE && !writable) {
        c->cr2 = lin;
        cpu_raise(c, EXC_PF, true, 2u | 1u | (user ? 4u : 0u));
    }
    struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    uint64_t vpage = lin & ~0xfffull;
    if (e->gpa != page || e->host != (uintptr_t)host ||
        (e->tag_read != vpage && e->tag_write != vpage && e->tag_exec != vpage))
        e->tag_read = e->tag_write = e->tag_exec = ~0ull;
    e->host = (uintptr_t)host;
    e->addend = (uintptr_t)host - (uintptr_t)vpage;
    e->gpa = page;
    e->tag_read = vpage;
    /* A live migration logs writes: a write marks the page, a write shortcut is cached only for a
     * page marked already, and the log's sync drops the shortcuts (soft dirty.c). */
    bool logged = k != PHYS_RAM || !c->env->ram_write || c->env->ram_write(c, host, acc == ACC_WRITE);
    if ((prot & PROT_W) && writable && logged && !code_page_is_code(c->pages, page))
        e->tag_write = vpage;
    else
        e->tag_write = ~0ull;
    if (prot & PROT_X)
        e->tag_exec = vpage;
    /* A page with a data breakpoint stays on the slow paths, which report the hits (debug.c). */
    if ((c->dr_armed & DB_ARMED_DATA) && db_watched(c, vpage))
        e->tag_read = e->tag_write = ~0ull;
    e->global = (prot & PROT_GLOBAL) != 0;
    e->shift = (uint8_t)PROT_PAGE_SHIFT(prot);
    tlb_filled(c, user, lin, prot);
    return e;
}

static uint64_t load_host(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void store_host(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
    case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static uint64_t lin_read_slow(struct cpu *c, uint64_t lin, unsigned size, bool user)
{
    if ((lin & 0xfff) + size > 4096) {
        /* Across two pages: byte by byte (each byte through the TLB). */
        uint64_t v = 0;
        for (unsigned k = 0; k < size; k++)
            v |= lin_read(c, lin + k, 1, user) << (8 * k);
        return v;
    }
    uint64_t gpa;
    struct tlb_entry *e = tlb_fill(c, lin, ACC_READ, user, &gpa);
    if (c->dr_armed & DB_ARMED_DATA)
        db_access(c, lin, size, false);
    if (!e)
        return c->env->mmio_read(c, gpa, size);
    return load_host((const uint8_t *)e->host + (lin & 0xfff), size);
}

uint64_t lin_read(struct cpu *c, uint64_t lin, unsigned size, bool user)
{
    const struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_read == (lin & ~0xfffull) && (lin & 0xfff) + size <= 4096)
        return load_host((const uint8_t *)e->host + (lin & 0xfff), size);
    return lin_read_slow(c, lin, size, user);
}

static void lin_write_slow(struct cpu *c, uint64_t lin, unsigned size, uint64_t v, bool user)
{
    if ((lin & 0xfff) + size > 4096) {
        /* Both pages must be writable before any byte is written (precise faults). */
        uint64_t gpa;
        tlb_fill(c, lin, ACC_WRITE, user, &gpa);
        tlb_fill(c, (lin | 0xfff) + 1, ACC_WRITE, user, &gpa);
        for (unsigned k = 0; k < size; k++)
            lin_write(c, lin + k, 1, v >> (8 * k), user);
        return;
    }
    uint64_t gpa;
    struct tlb_entry *e = tlb_fill(c, lin, ACC_WRITE, user, &gpa);
    if (c->dr_armed & DB_ARMED_DATA)
        db_access(c, lin, size, true);
    if (!e) {
        c->env->mmio_write(c, gpa, v, size);
        return;
    }
    store_host((uint8_t *)e->host + (lin & 0xfff), size, v);
    if (e->tag_write != (lin & ~0xfffull) && code_page_is_code(c->pages, e->gpa))
        code_page_written(c, e->gpa);
}

void lin_write(struct cpu *c, uint64_t lin, unsigned size, uint64_t v, bool user)
{
    const struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) + size <= 4096) {
        store_host((uint8_t *)e->host + (lin & 0xfff), size, v);
        return;
    }
    lin_write_slow(c, lin, size, v, user);
}

void *lin_host_rmw(struct cpu *c, uint64_t lin, unsigned size)
{
    bool user = cpu_user(c);
    if ((lin & 0xfff) + size > 4096 || (lin & (size - 1)))
        return NULL;
    struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write != (lin & ~0xfffull)) {
        uint64_t gpa;
        e = tlb_fill(c, lin, ACC_WRITE, user, &gpa);
        if (!e)
            return NULL;
        if (e->tag_write != (lin & ~0xfffull)) {
            /* A page blocks were translated from: plain writes take the slow path so the blocks
             * are dropped after them. A locked read-modify-write must still be one host atomic
             * (a spinlock next to code, as in an AP trampoline, is contended by several vCPUs): drop
             * the blocks first and let the caller write through the host pointer. */
            if (!code_page_is_code(c->pages, e->gpa))
                return NULL;
            code_page_written(c, e->gpa);
        }
    }
    return (uint8_t *)e->host + (lin & 0xfff);
}

void tlb_prefill(struct cpu *c, uint64_t lin)
{
    uint8_t *host;
    bool writable;
    uint64_t gpa;
    if ((c->cr0 & CR0_PG) || c->env->phys_page(c, lin & ~0xfffull, &host, &writable) != PHYS_RAM)
        return;
    tlb_fill(c, lin, writable ? ACC_WRITE : ACC_READ, cpu_user(c), &gpa);
}

/* Alignment checking (SDM vol. 3, 6.15 #AC): ring 3 with CR0.AM and EFLAGS.AC set. */
static void check_align(struct cpu *c, uint64_t off, unsigned size)
{
    if (c->cpl == 3 && (off & (size - 1)) && (c->flags & F_AC) && (c->cr0 & CR0_AM))
        cpu_raise(c, EXC_AC, true, 0);
}

uint64_t mem_read(struct cpu *c, int seg, uint64_t off, unsigned size)
{
    check_align(c, off, size);
    return lin_read(c, seg_linear(c, seg, off, size, ACC_READ), size, cpu_user(c));
}

void mem_write(struct cpu *c, int seg, uint64_t off, unsigned size, uint64_t v)
{
    check_align(c, off, size);
    lin_write(c, seg_linear(c, seg, off, size, ACC_WRITE), size, v, cpu_user(c));
}

void mem_probe_write(struct cpu *c, int seg, uint64_t off, unsigned size)
{
    uint64_t lin = seg_linear(c, seg, off, size, ACC_WRITE);
    uint64_t gpa;
    tlb_fill(c, lin, ACC_WRITE, cpu_user(c), &gpa);
    if (((lin + size - 1) ^ lin) & ~0xfffull)
        tlb_fill(c, lin + size - 1, ACC_WRITE, cpu_user(c), &gpa);
}

void mem_read_buf(struct cpu *c, int seg, uint64_t off, void *dst, unsigned size)
{
    uint8_t *d = dst;
    uint64_t lin = seg_linear(c, seg, off, size, ACC_READ);
    bool user = cpu_user(c);
    unsigned k = 0;
    while (k < size) {
        uint64_t a = lin + k;
        if (size - k >= 8 && (a & 0xfff) <= 4096 - 8) {
            uint64_t v = lin_read(c, a, 8, user);
            memcpy(d + k, &v, 8);
            k += 8;
        } else {
            d[k] = (uint8_t)lin_read(c, a, 1, user);
            k++;
        }
    }
}

void mem_write_buf(struct cpu *c, int seg, uint64_t off, const void *src, unsigned size)
{
    const uint8_t *s = src;
    mem_probe_write(c, seg, off, size);
    uint64_t lin = seg_linear(c, seg, off, size, ACC_WRITE);
    bool user = cpu_user(c);
    unsigned k = 0;
    while (k < size) {
        uint64_t a = lin + k;
        if (size - k >= 8 && (a & 0xfff) <= 4096 - 8) {
            uint64_t v;
            memcpy(&v, s + k, 8);
            lin_write(c, a, 8, v, user);
            k += 8;
        } else {
            lin_write(c, a, 1, s[k], user);
            k++;
        }
    }
}

/* The r/m operand: a register, or memory through an inline TLB probe in 64-bit mode (most
 * accesses of a 64-bit kernel), else through the general path with its checks. */
static inline uint64_t lin64_of(struct cpu *c, const struct insn *i)
{
    uint64_t ea = insn_ea(c, i);
    if (i->seg == SEG_FS || i->seg == SEG_GS)
        ea += c->seg[i->seg].base;
    return ea;
}

uint64_t rm_read(struct cpu *c, const struct insn *i, unsigned size)
{
    if (i->mod == 3)
        return greg_read(c, i, i->rm, size);
    if (c->code_size == 8 && !(c->flags & F_AC)) {
        uint64_t lin = lin64_of(c, i);
        const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
        if (e->tag_read == (lin & ~0xfffull) && (lin & 0xfff) + size <= 4096)
            return load_host((const uint8_t *)e->host + (lin & 0xfff), size);
    }
    return mem_read(c, i->seg, insn_ea(c, i), size);
}

void rm_write(struct cpu *c, const struct insn *i, unsigned size, uint64_t v)
{
    if (i->mod == 3) {
        greg_write(c, i, i->rm, size, v);
        return;
    }
    if (c->code_size == 8 && !(c->flags & F_AC)) {
        uint64_t lin = lin64_of(c, i);
        const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
        if (e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) + size <= 4096) {
            store_host((uint8_t *)e->host + (lin & 0xfff), size, v);
            return;
        }
    }
    mem_write(c, i->seg, insn_ea(c, i), size, v);
}
