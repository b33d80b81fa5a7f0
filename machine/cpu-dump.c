/* What vmon prints about a guest after the fact: the register dump of a crashed vCPU (with the
 * instruction bytes at RIP) and the --exit-stats table. Accelerator-neutral: it reads struct
 * cpu_state and walks the guest's page tables itself. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "machine/vm.h"

#define EFER_LMA (1ull << 10)

static void dump_seg(FILE *f, const char *name, const struct seg_state *g)
{
    fprintf(f, "%-4s %04x base=%016" PRIx64 " limit=%08x type=%x s=%u dpl=%u p=%u l=%u db=%u g=%u%s\n",
            name, g->selector, g->base, g->limit, g->type, g->s, g->dpl, g->present, g->l, g->db,
            g->g, g->unusable ? " unusable" : "");
}

void vm_dump_cpu(struct vcpu *v)
{
    struct vm *vm = v->vm;
    struct cpu_state s;
    memset(&s, 0, sizeof(s));
    if (!vm->accel->get_state || vm->accel->get_state(v, &s) < 0) {
        fprintf(stderr, "vmon: vCPU %d: registers unavailable\n", v->id);
        return;
    }
    fprintf(stderr, "vmon: vCPU %d state:\n", v->id);
    vm_print_cpu_state(vm, &s, stderr);
}

void vm_print_cpu_state(const struct vm *vm, const struct cpu_state *s, FILE *f)
{
    static const char *const gpr[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                         "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
    static const char *const segs[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "TR", "LDT" };
    for (int i = 0; i < 16; i++)
        fprintf(f, "%-3s=%016" PRIx64 "%s", gpr[i], s->gpr[i], i % 4 == 3 ? "\n" : " ");
    fprintf(f, "RIP=%016" PRIx64 " RFL=%08" PRIx64 "\n", s->rip, s->rflags);
    for (int i = 0; i < SEG_COUNT; i++)
        dump_seg(f, segs[i], &s->seg[i]);
    fprintf(f, "GDT=%016" PRIx64 " %04x  IDT=%016" PRIx64 " %04x\n", s->gdt.base, s->gdt.limit,
            s->idt.base, s->idt.limit);
    fprintf(f, "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64
            " CR8=%" PRIx64 " EFER=%" PRIx64 " APIC_BASE=%" PRIx64 "\n",
            s->cr0, s->cr2, s->cr3, s->cr4, s->cr8, s->efer, s->apic_base);

    uint64_t lin = s->seg[SEG_CS].base + s->rip, phys;
    if (!(s->efer & EFER_LMA) || !s->seg[SEG_CS].l)
        lin &= 0xffffffffull;
    fprintf(f, "code at %016" PRIx64 ":", lin);
    for (int i = 0; i < 16; i++) {
        uint8_t b;
        if (vm_translate(vm, s, lin + (uint64_t)i, &phys) < 0 || guest_mem_read(&vm->mem, phys, &b, 1) < 0) {
            fprintf(f, " ??");
            continue;
        }
        fprintf(f, " %02x", b);
    }
    fprintf(f, "\n");
}

static const char *const reason_names[EXIT_REASON_COUNT] = {
    [EXIT_IO] = "io", [EXIT_MMIO] = "mmio", [EXIT_HLT] = "hlt", [EXIT_SHUTDOWN] = "shutdown",
    [EXIT_SYSTEM_EVENT] = "system_event", [EXIT_IRQ_WINDOW] = "irq_window", [EXIT_INTR] = "intr",
    [EXIT_INTERNAL_ERROR] = "internal_error", [EXIT_OTHER] = "other",
};

struct addr_count {
    uint64_t key, count;
};

static int by_count_desc(const void *a, const void *b)
{
    const struct addr_count *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : (x->key > y->key) - (x->key < y->key);
}

void vm_print_exit_stats(struct vm *vm, FILE *f)
{
    uint64_t total = 0;
    for (int i = 0; i < EXIT_REASON_COUNT; i++)
        total += atomic_load(&vm->stats.by_reason[i]);
    fprintf(f, "exit stats (%s): %" PRIu64 " exits\n", vm->accel ? vm->accel->name : "?", total);
    fprintf(f, "  %-16s %12s\n", "reason", "count");
    for (int i = 0; i < EXIT_REASON_COUNT; i++) {
        uint64_t n = atomic_load(&vm->stats.by_reason[i]);
        if (n)
            fprintf(f, "  %-16s %12" PRIu64 "\n", reason_names[i], n);
    }
    if (vm->accel && vm->accel->print_stats)
        vm->accel->print_stats(vm, f);
    struct addr_count rows[EXIT_STATS_ADDRS];
    int nrows = 0;
    for (int i = 0; i < EXIT_STATS_ADDRS; i++) {
        uint64_t key = atomic_load(&vm->stats.addr[i].addr);
        if (key)
            rows[nrows++] = (struct addr_count){ key - 1, atomic_load(&vm->stats.addr[i].count) };
    }
    if (!nrows)
        return;
    qsort(rows, (size_t)nrows, sizeof(rows[0]), by_count_desc);
    fprintf(f, "  %-16s %12s\n", "address", "count");
    for (int i = 0; i < nrows; i++) {
        bool mmio = rows[i].key >> 63;
        uint64_t a = rows[i].key & ~(1ull << 63);
        char label[32];
        snprintf(label, sizeof(label), mmio ? "mmio 0x%" PRIx64 : "pio 0x%" PRIx64, a);
        fprintf(f, "  %-16s %12" PRIu64 "\n", label, rows[i].count);
    }
}
