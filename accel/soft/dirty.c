/* The soft CPU's half of a live migration's dirty log (machine/accel.h's dirty_log/dirty_sync, mm/dirty.h):
 * its own write tracking through the soft TLB. A write shortcut (tag_write) is cached only for a page
 * the log has marked (mem.c's tlb_fill asks ram_write), so the first write to a clean page takes the
 * slow path and marks it; page-table A/D updates and kvmclock writes mark theirs (cpu_ram_written).
 * When the migration thread takes the marks, the shortcuts of every vCPU are dropped with them. */
#include "accel/soft/soft-int.h"
#include "machine/vm.h"

static struct vm *vm_of(struct cpu *c)
{
    return ((struct soft_vcpu *)c)->v->vm;   /* cpu is soft_vcpu's first member */
}

bool soft_ram_write(struct cpu *c, const uint8_t *host, bool writing)
{
    struct guest_mem *m = &vm_of(c)->mem;
    if (!dirty_log_on(&m->dirty))
        return true;
    uint64_t page = guest_mem_page_of(m, host);
    if (page == UINT64_MAX)
        return true;
    if (writing) {
        dirty_log_mark(&m->dirty, page, 1);
        return true;
    }
    return dirty_log_test(&m->dirty, page);
}

/* vCPUs parked: no vCPU thread reads its TLB meanwhile. */
static void drop_write_shortcuts(struct vm *vm)
{
    for (int i = 0; i < vm->ncpus; i++) {
        struct soft_vcpu *sv = vm->vcpus[i].accel;
        if (!sv)
            continue;
        tlb_drop_writes(&sv->cpu);
    }
}

int soft_dirty_log(struct vm *vm, bool on)
{
    (void)on;   /* on: marks start from clean pages; off: shortcuts come back as pages are filled */
    drop_write_shortcuts(vm);
    return 0;
}

int soft_dirty_sync(struct vm *vm)
{
    drop_write_shortcuts(vm);   /* the marks are the log's already; the pages are clean again next */
    return 0;
}
