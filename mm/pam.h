/* The i440FX's Programmable Attribute Map (Intel 82441FX PMC datasheet, 3.2.18 PAM0-PAM6): where the
 * BIOS and option-ROM segments 0xc0000-0xfffff decode reads and writes. Two bits per segment:
 *   0  reads and writes go to the PCI side (reads see the ROM image, writes are dropped)
 *   1  read-only: reads from DRAM, writes to the PCI side (dropped)
 *   2  write-only: reads from the PCI side, writes to DRAM
 *   3  read/write DRAM
 * PAM0 bits 5:4 hold 0xf0000-0xfffff; PAM1-PAM6 hold two 16 KiB segments each from 0xc0000 (bits
 * 1:0 the lower, 5:4 the upper). The PCI side here is what QEMU's pc machine decodes there: its
 * 128 KiB option-ROM window (zeros) and the BIOS image's last 128 KiB at 0xe0000-0xfffff.
 * Only firmware boots turn it on; a direct kernel boot sees plain RAM (as SeaBIOS leaves it). */
#ifndef VMON_MM_PAM_H
#define VMON_MM_PAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAM_BASE   0xc0000u
#define PAM_END    0x100000u
#define PAM_SIZE   (PAM_END - PAM_BASE)
#define PAM_SEGS   13          /* 12 of 16 KiB from 0xc0000, then 0xf0000-0xfffff */
#define PAM_REGS   7           /* config space 0x59-0x5f of the host bridge */

enum pam_mode { PAM_PCI = 0, PAM_READ_RAM = 1, PAM_WRITE_RAM = 2, PAM_RAM = 3 };

struct pam {
    bool on;
    _Atomic uint8_t mode[PAM_SEGS];    /* written by the vCPU that programs PAM, read by all */
    uint8_t *ram;                      /* host address of RAM at PAM_BASE */
    uint8_t *pci;                      /* PAM_SIZE bytes, page aligned: the PCI side */
};

/* On, every segment in mode 0, the PCI side built from the image's tail (len bytes of the BIOS's
 * last 128 KiB or less, placed to end at 1 MiB). 0 or -errno. */
int pam_init(struct pam *p, uint8_t *ram_at_base, const uint8_t *bios_tail, size_t len);
void pam_free(struct pam *p);

/* The modes the registers say; true when any segment changed. */
bool pam_set(struct pam *p, const uint8_t regs[PAM_REGS]);

static inline bool pam_covers(const struct pam *p, uint64_t gpa)
{
    return p->on && gpa >= PAM_BASE && gpa < PAM_END;
}

/* Segment i's place and size, and the segment holding gpa (in the window). */
uint64_t pam_seg_base(unsigned i);
uint64_t pam_seg_size(unsigned i);
unsigned pam_seg_of(uint64_t gpa);
enum pam_mode pam_mode_of(const struct pam *p, unsigned i);

/* Where reads (and fetches) of gpa's byte go, and whether writes go to RAM. */
const uint8_t *pam_read_hva(const struct pam *p, uint64_t gpa);
bool pam_writes_ram(const struct pam *p, uint64_t gpa);

/* The accesses that do not go straight to host memory (writes in modes 0-2), as a device on the
 * MMIO bus over the window, dev a struct guest_mem: reads return what pam_read_hva shows, writes
 * reach RAM in modes 2 and 3 (marked for the dirty log) and are dropped in 0 and 1. */
uint64_t pam_bus_read(void *dev, uint64_t off, unsigned size);
void pam_bus_write(void *dev, uint64_t off, uint64_t val, unsigned size);

#endif
