/* The BIOS memory map (INT 15h E820) a PC firmware would report, built from the RAM slots. Linux gets
 * it in boot_params, multiboot kernels in the mmap list, PVH kernels in hvm_start_info's memmap.
 * Besides RAM and the low BIOS area, the PCI ECAM window is reserved (as firmware does for MCFG). */
#include "boot/loader.h"
#include "mm/memory.h"

static int add(struct e820_entry *out, int n, int max, uint64_t addr, uint64_t end, uint32_t type)
{
    if (end <= addr || n >= max)
        return n;
    out[n].addr = addr;
    out[n].size = end - addr;
    out[n].type = type;
    return n + 1;
}

int e820_build(const struct guest_mem *m, struct e820_entry *out, int max)
{
    int n = 0;
    bool ecam = false;         /* the ECAM window, reserved in address order */
    for (int i = 0; i < m->nslots; i++) {
        uint64_t lo = m->slots[i].gpa, hi = lo + m->slots[i].size;
        if (!ecam && lo >= PCI_ECAM_BASE) {
            n = add(out, n, max, PCI_ECAM_BASE, PCI_ECAM_BASE + (uint64_t)PCI_ECAM_SIZE, E820_RESERVED);
            ecam = true;
        }
        /* Below 1 MiB: conventional memory up to the EBDA, then the EBDA, video and BIOS ROM window
         * which holds vmon's MP and ACPI tables: reserved, so the OS neither allocates nor frees it. */
        if (lo < BOOT_HIGH_ADDR) {
            n = add(out, n, max, lo, hi < BOOT_EBDA_ADDR ? hi : BOOT_EBDA_ADDR, E820_RAM);
            if (hi > BOOT_EBDA_ADDR)
                n = add(out, n, max, BOOT_EBDA_ADDR, BOOT_HIGH_ADDR, E820_RESERVED);
            lo = BOOT_HIGH_ADDR;
        }
        n = add(out, n, max, lo, hi, E820_RAM);
    }
    if (!ecam)
        n = add(out, n, max, PCI_ECAM_BASE, PCI_ECAM_BASE + (uint64_t)PCI_ECAM_SIZE, E820_RESERVED);
    return n;
}
