/* The flat runner for the differential ISA tests: 64-bit ring 3 with paging off and guest linear
 * address == host address, limited to a table of regions. A page wholly inside a region is mapped
 * straight through the TLB; a page only partly inside goes through the MMIO path, which checks each
 * access against the regions, so an access outside them faults exactly as it would natively. */
#include <stdlib.h>

#include "accel/soft/flat.h"
#include "accel/soft/cpu.h"
#include "accel/soft/jit.h"
#include "accel/soft/tb.h"

struct flat_env {
    const struct flat_region *r;
    int n;
};

static const struct flat_region *region_of(const struct flat_env *e, uint64_t a, uint64_t len)
{
    for (int k = 0; k < e->n; k++) {
        uint64_t base = (uintptr_t)e->r[k].host;
        if (a >= base && a + len <= base + e->r[k].len && a + len >= a)
            return &e->r[k];
    }
    return NULL;
}

static bool touches(const struct flat_env *e, uint64_t page)
{
    for (int k = 0; k < e->n; k++) {
        uint64_t base = (uintptr_t)e->r[k].host;
        if (base < page + 4096 && page < base + e->r[k].len)
            return true;
    }
    return false;
}

static enum phys_kind flat_phys_page(struct cpu *c, uint64_t gpa, uint8_t **host, bool *writable)
{
    const struct flat_env *e = c->opaque;
    const struct flat_region *r = region_of(e, gpa, 4096);
    if (r) {
        *host = (uint8_t *)(uintptr_t)gpa;
        *writable = r->writable != 0;
        return PHYS_RAM;
    }
    return touches(e, gpa) ? PHYS_MMIO : PHYS_NONE;
}

static _Noreturn void flat_fault(struct cpu *c, uint64_t a, bool write, bool present)
{
    c->cr2 = a;
    cpu_raise(c, EXC_PF, true, (write ? 2u : 0u) | 4u | (present ? 1u : 0u));
}

static uint64_t flat_mmio_read(struct cpu *c, uint64_t gpa, unsigned size)
{
    if (!region_of(c->opaque, gpa, size))
        flat_fault(c, gpa, false, false);
    uint64_t v = 0;
    memcpy(&v, (const void *)(uintptr_t)gpa, size);
    return v;
}

static void flat_mmio_write(struct cpu *c, uint64_t gpa, uint64_t val, unsigned size)
{
    const struct flat_region *r = region_of(c->opaque, gpa, size);
    if (!r || !r->writable)
        flat_fault(c, gpa, true, r != NULL);
    memcpy((void *)(uintptr_t)gpa, &val, size);
}

static uint64_t flat_pio_in(struct cpu *c, uint16_t port, unsigned size)
{
    (void)c; (void)port; (void)size;
    return ~0ull;   /* unreachable: ring 3 with IOPL 0 and no TSS faults first */
}

static void flat_pio_out(struct cpu *c, uint16_t port, uint64_t val, unsigned size)
{
    (void)c; (void)port; (void)val; (void)size;
}

static uint64_t flat_fixed_tsc(struct cpu *c)
{
    (void)c;
    return 0;
}

static const struct cpu_env_ops flat_env_ops = {
    .phys_page = flat_phys_page,
    .mmio_read = flat_mmio_read,
    .mmio_write = flat_mmio_write,
    .pio_in = flat_pio_in,
    .pio_out = flat_pio_out,
}, flat_env_ops_fixed_tsc = {
    .phys_page = flat_phys_page,
    .mmio_read = flat_mmio_read,
    .mmio_write = flat_mmio_write,
    .pio_in = flat_pio_in,
    .pio_out = flat_pio_out,
    .read_tsc = flat_fixed_tsc,
};

static void flat_enter(struct cpu *c, const struct flat_state *st)
{
    memcpy(c->gpr, st->gpr, sizeof(c->gpr));
    c->rip = st->rip;
    c->cr0 = CR0_PE | CR0_MP | CR0_NE | CR0_ET | CR0_WP;
    c->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    c->efer = EFER_LME | EFER_LMA | EFER_NXE;
    for (int s = 0; s < SEG_COUNT; s++) {
        c->seg[s].base = 0;
        c->seg[s].limit = 0xffffffff;
        c->seg[s].sel = 0x2b;
        c->seg[s].attr = SEG_A_P | SEG_A_S | (3 << 5) | SEG_A_DB | SEG_A_G | 3;
    }
    c->seg[SEG_CS].sel = 0x33;
    c->seg[SEG_CS].attr = SEG_A_P | SEG_A_S | (3 << 5) | SEG_A_L | SEG_A_G | 0xb;
    c->seg[SEG_FS].base = st->fs_base;
    c->seg[SEG_GS].base = st->gs_base;
    c->seg[SEG_TR].attr = 0;
    c->seg[SEG_LDTR].attr = 0;
    c->cpl = 3;
    cpu_set_flags(c, (st->rflags & (F_ARITH | F_DF | F_AC | F_ID)) | F_IF);
    memcpy(c->xmm, st->xmm, sizeof(c->xmm));
    c->mxcsr = st->mxcsr;
    c->fpu.fcw = st->fcw;
    c->fpu.top = (st->fsw >> 11) & 7;
    c->fpu.fsw = st->fsw & ~0x3800;
    c->fpu.ftw = 0;
    for (int k = 0; k < 8; k++) {
        unsigned phys = (c->fpu.top + k) & 7;
        memset(&c->fpu.st[phys], 0, sizeof(c->fpu.st[phys]));
        memcpy(c->fpu.st[phys].b, st->st[k], 10);
    }
    for (int k = 0; k < 8; k++)
        if (!(st->ftw & (1u << k)))
            c->fpu.ftw |= (uint16_t)(3u << (2 * k));
    cpu_update_mode(c);
}

static void flat_leave(struct cpu *c, struct flat_state *st)
{
    memcpy(st->gpr, c->gpr, sizeof(c->gpr));
    st->rip = c->rip;
    st->rflags = cpu_get_flags(c);
    st->fs_base = c->seg[SEG_FS].base;
    st->gs_base = c->seg[SEG_GS].base;
    memcpy(st->xmm, c->xmm, sizeof(st->xmm));
    st->mxcsr = c->mxcsr;
    st->fcw = c->fpu.fcw;
    st->fsw = (uint16_t)((c->fpu.fsw & ~0x3800) | ((c->fpu.top & 7) << 11));
    st->ftw = 0;
    for (int k = 0; k < 8; k++) {
        if (((c->fpu.ftw >> (2 * k)) & 3) != 3)
            st->ftw |= (uint8_t)(1u << k);
        memcpy(st->st[k], c->fpu.st[(c->fpu.top + k) & 7].b, 10);
    }
}

/* Every page wholly inside a region, in the TLB as its first access would leave it. */
static void warm_tlb(struct cpu *c, const struct flat_region *r, int n)
{
    for (int k = 0; k < n; k++) {
        uint64_t base = (uintptr_t)r[k].host, end = base + r[k].len;
        for (uint64_t p = (base + 4095) & ~0xfffull; p + 4096 <= end; p += 4096)
            tlb_prefill(c, p);
    }
}

static int flat_run(struct flat_state *st, const struct flat_region *regions, int nregions,
                    uint64_t stop_rip, uint64_t max_insns, int *vector, const struct flat_cpu *cpu)
{
    struct flat_env env = { regions, nregions };
    struct cpu *c = calloc(1, sizeof(*c));
    struct code_pages *pages = code_pages_new();
    struct tb_cache *tbs = tb_cache_new(256u << 10);
    if (!c || !pages || !tbs) {
        free(c);
        code_pages_free(pages);
        tb_cache_free(tbs);
        return -1;
    }
    c->env = cpu && cpu->fixed_tsc ? &flat_env_ops_fixed_tsc : &flat_env_ops;
    c->opaque = &env;
    c->pages = pages;
    c->tbs = tbs;
    c->jit_hot = cpu && cpu->jit ? 0 : JIT_OFF;
    cpu_reset(c);
    c->vendor = cpu ? cpu->vendor : CPU_VENDOR_INTEL;
    c->no_deliver = true;
    flat_enter(c, st);
    if (cpu && cpu->warm_tlb)
        warm_tlb(c, regions, nregions);
    if (cpu) {
        c->cr0 |= cpu->cr0_set;
        c->cr4 &= ~(uint64_t)cpu->cr4_clear;
    }
    c->stop_rip = stop_rip;
    c->has_stop_rip = stop_rip != FLAT_NO_STOP;
    int res;
    if (c->rip == stop_rip) {
        res = FLAT_DONE;
    } else {
        enum cpu_stop why = cpu_exec(c, max_insns);
        if (why == STOP_BREAK) {
            res = FLAT_DONE;
        } else if (why == STOP_FAULT) {
            res = FLAT_FAULT;
            if (vector)
                *vector = c->exc_vector;
        } else {
            res = FLAT_LIMIT;
        }
    }
    flat_leave(c, st);
    tb_cache_free(tbs);
    code_pages_free(pages);
    free(c);
    return res;
}

int soft_flat_run(struct flat_state *st, const struct flat_region *regions, int nregions,
                  uint64_t stop_rip, uint64_t max_insns, int *vector, const struct flat_cpu *cpu)
{
    return flat_run(st, regions, nregions, stop_rip, max_insns, vector, cpu);
}
