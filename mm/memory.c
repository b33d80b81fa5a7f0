/* Guest RAM: one anonymous mapping, exposed as memory slots split around the 32-bit PCI hole. */
#include "mm/memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static void add_slot(struct guest_mem *m, uint64_t gpa, uint64_t size, uint8_t *hva)
{
    struct mem_slot *s = &m->slots[m->nslots];
    s->id = (uint32_t)m->nslots;
    s->gpa = gpa;
    s->size = size;
    s->hva = hva;
    m->nslots++;
}

int guest_mem_init(struct guest_mem *m, uint64_t ram_size)
{
    memset(m, 0, sizeof(*m));
    if (ram_size == 0 || (ram_size & 0xfff))
        return -EINVAL;
    void *p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    madvise(p, ram_size, MADV_MERGEABLE);
    if (dirty_log_init(&m->dirty, ram_size >> 12) < 0) {
        munmap(p, ram_size);
        return -ENOMEM;
    }
    m->base = p;
    m->ram_size = ram_size;
    /* As on a PC (and QEMU's pc machine): RAM past the hole's start is remapped above 4 GiB. */
    if (ram_size <= PCI_HOLE_START) {
        add_slot(m, 0, ram_size, m->base);
    } else {
        add_slot(m, 0, PCI_HOLE_START, m->base);
        add_slot(m, PCI_HOLE_END, ram_size - PCI_HOLE_START, m->base + PCI_HOLE_START);
    }
    return 0;
}

void guest_mem_destroy(struct guest_mem *m)
{
    if (m->base)
        munmap(m->base, m->ram_size);
    if (m->rom.hva)
        munmap(m->rom.hva, m->rom.size);
    pam_free(&m->pam);
    dirty_log_free(&m->dirty);
    memset(m, 0, sizeof(*m));
}

const struct mem_slot *guest_mem_slot(const struct guest_mem *m, uint64_t gpa)
{
    for (int i = 0; i < m->nslots; i++) {
        const struct mem_slot *s = &m->slots[i];
        if (gpa - s->gpa < s->size)
            return s;
    }
    return NULL;
}

void *guest_mem_hva_peek(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    const struct mem_slot *s = guest_mem_slot(m, gpa);
    if (!s || len > s->size - (gpa - s->gpa))
        return NULL;
    return s->hva + (gpa - s->gpa);
}

uint64_t guest_mem_page_of(const struct guest_mem *m, const void *hva)
{
    uintptr_t off = (uintptr_t)hva - (uintptr_t)m->base;
    return m->base && off < m->ram_size ? off >> 12 : UINT64_MAX;
}

void guest_mem_mark_hva(const struct guest_mem *m, const void *hva, uint64_t len)
{
    if (!dirty_log_on(&m->dirty) || !len)
        return;
    uint64_t first = guest_mem_page_of(m, hva);
    uint64_t last = guest_mem_page_of(m, (const uint8_t *)hva + len - 1);
    if (first != UINT64_MAX && last != UINT64_MAX)
        dirty_log_mark((struct dirty_log *)&m->dirty, first, last - first + 1);
}

void *guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    void *p = guest_mem_hva_peek(m, gpa, len);
    if (p)
        guest_mem_mark_hva(m, p, len);
    return p;
}

int guest_mem_write(struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
    void *dst = guest_mem_hva(m, gpa, len);
    if (!dst)
        return -EFAULT;
    memcpy(dst, src, len);
    return 0;
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
    const void *src = guest_mem_hva_peek(m, gpa, len);
    if (!src)
        return -EFAULT;
    memcpy(dst, src, len);
    return 0;
}

uint64_t guest_mem_low_end(const struct guest_mem *m)
{
    return m->nslots ? m->slots[0].gpa + m->slots[0].size : 0;
}

int guest_mem_add_rom(struct guest_mem *m, uint64_t gpa, const void *data, uint64_t len)
{
    if (m->rom.size || !len || (len & 0xfff) || (gpa & 0xfff) || gpa + len < gpa)
        return -EINVAL;
    for (int i = 0; i < m->nslots; i++)
        if (gpa < m->slots[i].gpa + m->slots[i].size && m->slots[i].gpa < gpa + len)
            return -EEXIST;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    memcpy(p, data, len);
    m->rom = (struct mem_slot){ .id = GUEST_ROM_SLOT_ID, .gpa = gpa, .size = len, .hva = p,
                                .readonly = 1 };
    return 0;
}

const uint8_t *guest_mem_rom_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    const struct mem_slot *s = &m->rom;
    if (!s->size || gpa - s->gpa >= s->size || len > s->size - (gpa - s->gpa))
        return NULL;
    return s->hva + (gpa - s->gpa);
}

bool guest_page_zero(const uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;
    for (unsigned i = 0; i < 512; i += 4)
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
            return false;
    return true;
}
