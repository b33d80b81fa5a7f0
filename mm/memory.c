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

void *guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    const struct mem_slot *s = guest_mem_slot(m, gpa);
    if (!s || len > s->size - (gpa - s->gpa))
        return NULL;
    return s->hva + (gpa - s->gpa);
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
    const void *src = guest_mem_hva(m, gpa, len);
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
