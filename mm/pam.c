/* The i440FX PAM segments (82441FX datasheet 3.2.18; mm/pam.h): decoding the registers, and where a
 * byte of 0xc0000-0xfffff is read from and written to in each mode. */
#include "mm/pam.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/memory.h"

int pam_init(struct pam *p, uint8_t *ram_at_base, const uint8_t *bios_tail, size_t len)
{
    if (len > PAM_SIZE)
        return -EINVAL;
    void *pci = mmap(NULL, PAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pci == MAP_FAILED)
        return -errno;
    memcpy((uint8_t *)pci + PAM_SIZE - len, bios_tail, len);
    p->pci = pci;
    p->ram = ram_at_base;
    for (unsigned i = 0; i < PAM_SEGS; i++)
        atomic_store(&p->mode[i], PAM_PCI);
    p->on = true;
    return 0;
}

void pam_free(struct pam *p)
{
    if (p->pci)
        munmap(p->pci, PAM_SIZE);
    p->pci = NULL;
    p->on = false;
}

uint64_t pam_seg_base(unsigned i)
{
    return i == PAM_SEGS - 1 ? 0xf0000u : PAM_BASE + (uint64_t)i * 0x4000u;
}

uint64_t pam_seg_size(unsigned i)
{
    return i == PAM_SEGS - 1 ? 0x10000u : 0x4000u;
}

unsigned pam_seg_of(uint64_t gpa)
{
    return gpa >= 0xf0000u ? PAM_SEGS - 1 : (unsigned)((gpa - PAM_BASE) >> 14);
}

enum pam_mode pam_mode_of(const struct pam *p, unsigned i)
{
    return (enum pam_mode)atomic_load_explicit(&p->mode[i], memory_order_relaxed);
}

/* PAM0's high nibble is 0xf0000; PAMn (1-6) holds segments 2(n-1) (low nibble) and 2(n-1)+1. The
 * datasheet's bit 2 of each nibble (cacheability) and the reserved bits do not matter here. */
bool pam_set(struct pam *p, const uint8_t regs[PAM_REGS])
{
    uint8_t m[PAM_SEGS];
    m[PAM_SEGS - 1] = (regs[0] >> 4) & 3;
    for (unsigned n = 1; n < PAM_REGS; n++) {
        m[2 * (n - 1)] = regs[n] & 3;
        m[2 * (n - 1) + 1] = (regs[n] >> 4) & 3;
    }
    bool changed = false;
    for (unsigned i = 0; i < PAM_SEGS; i++)
        changed |= atomic_exchange(&p->mode[i], m[i]) != m[i];
    return changed;
}

const uint8_t *pam_read_hva(const struct pam *p, uint64_t gpa)
{
    uint64_t off = gpa - PAM_BASE;
    return (pam_mode_of(p, pam_seg_of(gpa)) & PAM_READ_RAM) ? p->ram + off : p->pci + off;
}

bool pam_writes_ram(const struct pam *p, uint64_t gpa)
{
    return (pam_mode_of(p, pam_seg_of(gpa)) & PAM_WRITE_RAM) != 0;
}

/* Byte by byte: an access may straddle two segments of different modes. */
uint64_t pam_bus_read(void *dev, uint64_t off, unsigned size)
{
    const struct guest_mem *m = dev;
    uint64_t v = 0;
    for (unsigned k = 0; k < size && off + k < PAM_SIZE; k++)
        v |= (uint64_t)*pam_read_hva(&m->pam, PAM_BASE + off + k) << (8 * k);
    return v;
}

void pam_bus_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    const struct guest_mem *m = dev;
    for (unsigned k = 0; k < size && off + k < PAM_SIZE; k++) {
        uint64_t gpa = PAM_BASE + off + k;
        if (!pam_writes_ram(&m->pam, gpa))
            continue;
        uint8_t *h = m->pam.ram + (gpa - PAM_BASE);
        *h = (uint8_t)(val >> (8 * k));
        guest_mem_mark_hva(m, h, 1);
    }
}
