/* Guest physical memory as KVM-style memory slots: GPA ranges backed by host mappings (GPA->HVA). */
#ifndef VMON_MM_MEMORY_H
#define VMON_MM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/dirty.h"
#include "mm/pam.h"

#define GUEST_MAX_SLOTS 8
#define PCI_HOLE_START 0xC0000000ULL   /* RAM above this GPA moves to 4 GiB */
#define PCI_HOLE_END   0x100000000ULL

/* One slot, like the kernel's struct kvm_memory_slot: guest frames [gpa, gpa+size) live at hva. */
struct mem_slot {
    uint32_t id;
    uint64_t gpa;          /* bytes, page aligned */
    uint64_t size;         /* bytes, page aligned */
    uint8_t *hva;          /* host address of gpa */
    int readonly;          /* ROM: reads and fetches see hva, writes are dropped */
};

struct guest_mem {
    uint64_t ram_size;     /* bytes of RAM the user asked for (--mem) */
    uint8_t *base;         /* one host mapping holding all RAM, slots point into it */
    int nslots;
    struct mem_slot slots[GUEST_MAX_SLOTS];
    struct mem_slot rom;   /* the firmware ROM (size 0 when none): not RAM, so not in slots[],
                            * the e820 map, DMA, snapshots or guest_mem_hva */
    struct dirty_log dirty;    /* RAM pages written while a migration logs them (mm/dirty.h) */
    struct pam pam;            /* firmware boots: how the CPU sees 0xc0000-0xfffff (mm/pam.h);
                                * guest_mem_hva and the rest always reach the RAM there */
};

#define GUEST_ROM_SLOT_ID GUEST_MAX_SLOTS   /* the accelerator's slot number for rom */

/* Map ram_size bytes of anonymous memory and split it around the 32-bit PCI hole.
 * Returns 0 or -errno. */
int guest_mem_init(struct guest_mem *m, uint64_t ram_size);
void guest_mem_destroy(struct guest_mem *m);

/* GPA->HVA for [gpa, gpa+len) when the whole range lies in one slot, else NULL. The caller may
 * write there (device DMA), so while the dirty log is on the range is marked dirty. */
void *guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* The same without marking: for a caller that marks its own writes (the soft CPU's TLB). */
void *guest_mem_hva_peek(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Mark [hva, hva+len) of RAM dirty (no-op outside RAM or while the log is off). */
void guest_mem_mark_hva(const struct guest_mem *m, const void *hva, uint64_t len);
/* The RAM page (index into the dirty log) of hva, or UINT64_MAX when hva is not RAM. */
uint64_t guest_mem_page_of(const struct guest_mem *m, const void *hva);
const struct mem_slot *guest_mem_slot(const struct guest_mem *m, uint64_t gpa);

/* Copy into / out of guest RAM; -EFAULT when any byte is not RAM. */
int guest_mem_write(struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);

/* Map a copy of len bytes (a multiple of 4 KiB) read-only at gpa, clear of RAM; 0 or -errno. */
int guest_mem_add_rom(struct guest_mem *m, uint64_t gpa, const void *data, uint64_t len);
/* The ROM's host address for [gpa, gpa+len), or NULL when that is not all ROM. */
const uint8_t *guest_mem_rom_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Whether the 4 KiB page at p (8-byte aligned) holds only zeros: what a state file or a migration
 * stream need not carry. */
bool guest_page_zero(const uint8_t *p);

/* Highest RAM GPA below 4 GiB + 1 (the e820 "low memory" end). */
uint64_t guest_mem_low_end(const struct guest_mem *m);

#endif
