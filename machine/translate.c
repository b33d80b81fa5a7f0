/* The guest's page-table walk, level by level (SDM Vol. 3A 4.3 32-bit paging, 4.4 PAE paging, 4.5
 * 4-level and 5-level paging), as the monitor shows it (info translate, x-vmon-translate) and as
 * vm_translate and the crash dump use it. Reads guest RAM only; no accessed/dirty bits are set. */
#include <errno.h>
#include <string.h>

#include "machine/vm.h"

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

static const char *const long_names[5] = { "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

const char *vm_paging_mode_name(enum vm_paging_mode m)
{
    static const char *const names[] = {
        [VM_PAGING_NONE] = "paging off", [VM_PAGING_32] = "32-bit paging", [VM_PAGING_PAE] = "PAE paging",
        [VM_PAGING_4LEVEL] = "4-level paging", [VM_PAGING_5LEVEL] = "5-level paging",
    };
    return names[m];
}

static int fault(struct vm_xlat *x, const char *why)
{
    x->fault = why;
    return -EFAULT;
}

/* Read the entry of one level into x->level[x->nlevels]; -EFAULT when it is outside RAM or not
 * present. */
static int read_level(const struct vm *vm, struct vm_xlat *x, const char *name, uint64_t table,
                      unsigned index, unsigned size)
{
    struct vm_xlat_level *l = &x->level[x->nlevels++];
    *l = (struct vm_xlat_level){ .name = name, .table = table, .index = index,
                                 .entry_gpa = table + (uint64_t)index * size, .size = size };
    uint64_t e = 0;
    if (guest_mem_read(&vm->mem, l->entry_gpa, &e, size) < 0)
        return fault(x, "page table outside guest RAM");
    l->entry = e;
    return e & PTE_P ? 0 : fault(x, "not present");
}

static int walk_32(const struct vm *vm, const struct cpu_state *s, uint64_t lin, struct vm_xlat *x)
{
    int r = read_level(vm, x, "PDE", s->cr3 & 0xfffff000ull, (unsigned)(lin >> 22) & 0x3ff, 4);
    if (r < 0)
        return r;
    uint64_t pde = x->level[0].entry;
    if ((pde & PTE_PS) && (s->cr4 & CR4_PSE)) {      /* 4 MiB page; bits 13-20 are PA bits 32-39 */
        x->level[0].leaf = true;
        x->page_size = 4ull << 20;
        x->gpa = (pde & 0xffc00000ull) + ((pde >> 13 & 0xff) << 32) + (lin & 0x3fffff);
        return 0;
    }
    if ((r = read_level(vm, x, "PTE", pde & 0xfffff000ull, (unsigned)(lin >> 12) & 0x3ff, 4)) < 0)
        return r;
    x->level[1].leaf = true;
    x->page_size = 4096;
    x->gpa = (x->level[1].entry & 0xfffff000ull) + (lin & 0xfff);
    return 0;
}

/* PAE (3 levels, the first 4 PDPTEs at CR3) and long mode (4 or 5 levels of 512). */
static int walk_64(const struct vm *vm, const struct cpu_state *s, uint64_t lin, struct vm_xlat *x,
                   int levels)
{
    if (levels >= 4) {
        unsigned bits = levels == 5 ? 57 : 48;
        int64_t sx = (int64_t)(lin << (64 - bits)) >> (64 - bits);
        if ((uint64_t)sx != lin)
            return fault(x, "not canonical");
    }
    uint64_t table = s->cr3 & (levels == 3 ? 0xffffffe0ull : PTE_ADDR);
    for (int level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        unsigned idx = levels == 3 && level == 3 ? (unsigned)(lin >> 30) & 3 : (unsigned)(lin >> shift) & 0x1ff;
        int r = read_level(vm, x, long_names[level - 1], table, idx, 8);
        if (r < 0)
            return r;
        struct vm_xlat_level *l = &x->level[x->nlevels - 1];
        bool big = (l->entry & PTE_PS) && (level == 2 || (level == 3 && levels >= 4));
        if (level == 1 || big) {
            uint64_t mask = (1ull << shift) - 1;
            l->leaf = true;
            x->page_size = mask + 1;
            x->gpa = ((l->entry & PTE_ADDR) & ~mask) + (lin & mask);
            return 0;
        }
        table = l->entry & PTE_ADDR;
    }
    return fault(x, "no leaf");
}

int vm_translate_walk(const struct vm *vm, const struct cpu_state *s, uint64_t lin, struct vm_xlat *x)
{
    *x = (struct vm_xlat){ .gva = lin };
    if (!(s->cr0 & CR0_PG)) {
        x->mode = VM_PAGING_NONE;
        x->gpa = lin & 0xffffffffull;
        x->page_size = 4096;
        return 0;
    }
    if (!(s->cr4 & CR4_PAE)) {
        x->mode = VM_PAGING_32;
        return walk_32(vm, s, lin & 0xffffffffull, x);
    }
    if (!(s->efer & EFER_LMA)) {
        x->mode = VM_PAGING_PAE;
        return walk_64(vm, s, lin & 0xffffffffull, x, 3);
    }
    x->mode = s->cr4 & CR4_LA57 ? VM_PAGING_5LEVEL : VM_PAGING_4LEVEL;
    return walk_64(vm, s, lin, x, x->mode == VM_PAGING_5LEVEL ? 5 : 4);
}

int vm_translate(const struct vm *vm, const struct cpu_state *s, uint64_t lin, uint64_t *phys)
{
    struct vm_xlat x;
    if (vm_translate_walk(vm, s, lin, &x) < 0)
        return -1;
    *phys = x.gpa;
    return 0;
}

/* The flags an entry has set, by the SDM's names (Tables 4-4..4-20): XD only where the format has it
 * (PAE and long mode); PS on a directory entry, PAT in a 4 KiB leaf. */
int vm_xlat_flags(const struct vm_xlat *x, const struct vm_xlat_level *l, const char **names, int max)
{
    static const char *const bit_names[9] = { "P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G" };
    int n = 0;
    bool pte = !strcmp(l->name, "PTE");
    for (unsigned b = 0; b < 9 && n < max; b++) {
        if (!(l->entry >> b & 1))
            continue;
        if (b == 6 && !l->leaf)
            continue;          /* D is ignored in a non-leaf entry */
        if (b == 8 && !l->leaf)
            continue;
        names[n++] = b == 7 && pte ? "PAT" : bit_names[b];
    }
    if (l->size == 8 && (l->entry >> 63 & 1) && n < max && x->mode != VM_PAGING_NONE)
        names[n++] = "XD";
    return n;
}
