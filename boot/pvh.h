/* The PVH boot ABI (Xen's arch-x86/hvm/start_info.h, used by Linux/QEMU/Firecracker for direct ELF
 * boot): the kernel advertises a 32-bit entry in an ELF note, and is entered in flat 32-bit protected
 * mode, paging off, with ebx = the physical address of struct hvm_start_info. */
#ifndef VMON_BOOT_PVH_H
#define VMON_BOOT_PVH_H

#include <stddef.h>
#include <stdint.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578

struct hvm_start_info {
    uint32_t magic;            /* HVM_START_MAGIC */
    uint32_t version;          /* 1: memmap fields valid */
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;    /* struct hvm_modlist_entry[nr_modules] */
    uint64_t cmdline_paddr;    /* NUL-terminated */
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;     /* struct hvm_memmap_entry[memmap_entries] */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type;             /* e820 types */
    uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap_paddr offset");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist entry is 32 bytes");
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "memmap entry is 24 bytes");

#endif
