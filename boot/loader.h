/* What the kernel loaders share: the guest's low-memory layout, the loading context, and the helpers
 * that place an initrd, build the firmware tables and set up the CPU for each kind of entry. */
#ifndef VMON_BOOT_LOADER_H
#define VMON_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/bootparam.h"

struct vm;
struct guest_mem;
struct cpu_state;

/* Low memory, below 1 MiB, as vmon lays it out (a PC BIOS would own most of this). An ELF or
 * multiboot kernel may load here too, clear of these (lowmem.c). */
#define BOOT_GDT_ADDR       0x00500   /* flat GDT, selectors below */
#define BOOT_INFO_ADDR      0x06000   /* multiboot info / hvm_start_info and their lists (4 KiB) */
#define BOOT_ZERO_PAGE      0x07000   /* boot_params for the 64-bit entries */
#define BOOT_PML4_ADDR      0x09000   /* identity map: PML4, PDPT, then 4 PDs of 2 MiB pages (4 GiB) */
#define BOOT_PDPT_ADDR      0x0a000
#define BOOT_PD_ADDR        0x0b000
#define BOOT_CMDLINE_ADDR   0x20000
#define BOOT_CMDLINE_MAX    0x10000   /* bytes, NUL included */
#define BOOT_REALMODE_ADDR  0x90000   /* setup code of a real-mode boot-protocol entry */
#define BOOT_EBDA_ADDR      0x9fc00   /* from here to 1 MiB is reserved in the e820 map */
#define BOOT_ACPI_ADDR      0xe0000   /* RSDP and ACPI tables (the RSDP search range) */
#define BOOT_ACPI_MAX       0x10000
#define BOOT_MPTABLE_ADDR   0xf0000   /* MP floating pointer and config table (BIOS ROM range) */
#define BOOT_HIGH_ADDR      0x100000  /* 1 MiB */

/* GDT selectors (the Linux boot protocol wants __BOOT_CS 0x10 and __BOOT_DS 0x18). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

/* The machine the tables describe (hw/ implements these devices at these addresses). */
#define LAPIC_ADDR      0xfee00000u
#define IOAPIC_ADDR     0xfec00000u
#define HPET_ADDR       0xfed00000u
#define IOAPIC_PINS     24
#define PM1A_EVT_PORT   0x600
#define PM1A_CNT_PORT   0x604
#define PM_TMR_PORT     0x608
#define ACPI_SCI_IRQ    9
#define RESET_PORT      0xcf9
#define RESET_VALUE     0x06

/* PCI INTx routing, fixed as SeaBIOS programs the PIIX3 for QEMU's pc machine: slot s's pin p
 * (0 = INTA) uses PIRQ (s + p) & 3, and PIRQA-D go to IRQs 10, 10, 11, 11. The board wires the
 * lines this way and the DSDT's _PRT says so. */
#define PCI_INTX_SLOTS  32
/* The part of the 32-bit PCI hole (mm/memory.h) that memory BARs may use: up to the IOAPIC. */
#define PCI_MMIO_START  0xc0000000u
#define PCI_MMIO_END    0xfec00000u
/* ECAM (PCIe 4.0, 7.2.2; PCI Firmware 3.2, 4.1.2's MCFG): configuration space of buses 0-255 as
 * memory, 1 MiB per bus, inside the hole above the memory BARs; reserved in the e820 map, which
 * Linux requires before it uses the MCFG's window. */
#define PCI_ECAM_BASE   0xe0000000u
#define PCI_ECAM_SIZE   0x10000000u
#define PCI_ECAM_BUSES  256
/* virtio-mmio devices (hw/virtio/mmio.h), as the DSDT lists them: device i's 512-byte window at
 * VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STRIDE, its level-triggered line on GSI VIRTIO_MMIO_GSI + i
 * (IOAPIC-only GSIs, as QEMU's microvm uses). */
#define VIRTIO_MMIO_BASE    0xfeb00000u
#define VIRTIO_MMIO_STRIDE  0x200u
#define VIRTIO_MMIO_GSI     16u
#define VIRTIO_MMIO_MAX     8
static inline unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
    static const unsigned char pirq_irq[4] = { 10, 10, 11, 11 };
    return pirq_irq[(slot + pin) & 3];
}

/* One load in progress. */
struct boot_ctx {
    struct vm *vm;
    const char *path;          /* the kernel's file name, for messages */
    const uint8_t *img;        /* the whole kernel file */
    size_t len;
    char *err;
    size_t errlen;
    uint64_t rsdp_addr;        /* set by boot_write_tables */
};

/* Format "<kernel file>: <why>" into ctx->err; returns -1 for `return boot_fail(...)`. */
int boot_fail(struct boot_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put vm->cfg.initrd in RAM: page aligned, as high as possible below min(max_end, end of low RAM),
 * above kernel_end. *addr and *size are 0 when there is no initrd. 0, or -1 with ctx->err set. */
int boot_load_initrd(struct boot_ctx *ctx, uint64_t kernel_end, uint64_t max_end,
                     uint64_t *addr, uint64_t *size);

/* Copy vm->cfg.cmdline (or "") to gpa, at most max bytes with the NUL (and never more than
 * BOOT_CMDLINE_MAX); 0, or -1 with ctx->err set when it is too long. */
int boot_write_cmdline(struct boot_ctx *ctx, uint64_t gpa, uint64_t max);

/* MP table and ACPI tables for vm->ncpus CPUs at their APIC ids; sets ctx->rsdp_addr. */
int boot_write_tables(struct boot_ctx *ctx);

/* Copy a range into guest RAM, failing with "<what> at 0x.. does not fit in RAM". */
int boot_copy(struct boot_ctx *ctx, uint64_t gpa, const void *src, uint64_t len, const char *what);

/* e820.c: the machine's memory map from the RAM slots (RAM, the reserved EBDA..1 MiB window,
 * and RAM above 4 GiB). Returns the number of entries written (<= max). */
int e820_build(const struct guest_mem *m, struct e820_entry *out, int max);

/* mptable.c / acpi.c: write the tables at their fixed addresses in RAM. The _build variants fill a
 * caller's buffer (base is the guest address it will live at) and return the bytes used or -errno;
 * unit tests check them without a VM. */
int mptable_build(uint8_t *buf, size_t cap, uint32_t base, const uint8_t *apic_ids, int ncpus);
/* nmmio: virtio-mmio devices (0..VIRTIO_MMIO_MAX) the DSDT describes. */
int acpi_build(uint8_t *buf, size_t cap, uint32_t base, const uint8_t *apic_ids, int ncpus,
               int nmmio);
/* What the FADT says of the board: where the ACPI PM block decodes (PM1a event, control at +4, the
 * timer at +8) and whether a VGA is there. acpi_build's: PM1A_EVT_PORT, no VGA. */
struct acpi_board {
    uint16_t pm_base;
    bool vga;
};
int acpi_build_board(uint8_t *buf, size_t cap, uint32_t base, const uint8_t *apic_ids, int ncpus,
                     int nmmio, const struct acpi_board *board);
/* apic_ids[i] is vCPU i's (the BSP first; ascending, below 254); the IOAPIC takes the id after the
 * last, as machine/vm.c's vm->ioapic_id. */
uint8_t boot_ioapic_id(const uint8_t *apic_ids, int ncpus);
uint8_t acpi_checksum(const void *p, size_t len);   /* the byte that makes the sum zero */

/* entry.c: the CPU state for each kind of entry, GDT and page tables written into RAM. */
int boot_entry_real(struct boot_ctx *ctx, struct cpu_state *s, uint16_t seg, uint16_t ip, uint16_t sp);
int boot_entry_prot32(struct boot_ctx *ctx, struct cpu_state *s, uint32_t eip);
/* The architectural RESET state, for firmware: CS:IP f000:fff0 with CS base 0xffff0000. */
int boot_entry_reset(struct cpu_state *s);
int boot_entry_long64(struct boot_ctx *ctx, struct cpu_state *s, uint64_t rip);

/* lowmem.c: may the kernel put [gpa, gpa+len) there? Below 1 MiB it must stay below the EBDA and
 * clear of the GDT, the command line and what its entry uses: the information page (multiboot,
 * PVH) or the zero page and boot page tables (a 64-bit entry). 0, or -1 with ctx->err set. */
#define BOOT_USES_INFO       1u
#define BOOT_USES_ZERO_PAGE  2u
int boot_check_low(struct boot_ctx *ctx, uint64_t gpa, uint64_t len, unsigned uses, const char *what);

/* The loaders. probe: does the image look like this format (cheap, no errors)? */
bool bzimage_probe(const uint8_t *img, size_t len);
int bzimage_load(struct boot_ctx *ctx);
bool elf_probe(const uint8_t *img, size_t len);
int elf_load(struct boot_ctx *ctx);
/* Offset of a multiboot v1 header in the first 8 KiB, or -1. */
long multiboot_find_header(const uint8_t *img, size_t len);
int multiboot_load(struct boot_ctx *ctx);

/* ELF helpers shared by elf.c and multiboot.c (ELF32 or ELF64, little-endian x86). */
struct elf_seg {
    uint64_t paddr, vaddr, filesz, memsz, offset;
};
#define ELF_MAX_SEGS 32
struct elf_info {
    bool is64;
    uint64_t entry;            /* e_entry, as linked */
    int nseg;
    struct elf_seg seg[ELF_MAX_SEGS];
    uint64_t pvh_entry;        /* XEN_ELFNOTE_PHYS32_ENTRY, 0 when absent */
};
/* Parse and bounds-check headers; 0 or -1 with ctx->err set. */
int elf_parse(struct boot_ctx *ctx, struct elf_info *ei);
/* Copy PT_LOAD segments to their physical addresses (zeroing bss), each checked against what the
 * entry `uses` below 1 MiB (boot_check_low); *end = highest byte + 1. */
int elf_load_segments(struct boot_ctx *ctx, const struct elf_info *ei, unsigned uses, uint64_t *end);
/* The ELF entry as a physical address (e_entry translated through the segment holding it). */
uint64_t elf_entry_phys(const struct elf_info *ei);

#endif
