/* Multiboot specification 0.6.96 (version 1): the header a kernel carries in its first 8 KiB and the
 * information structure the boot loader hands it in ebx (sections 3.1 and 3.3). */
#ifndef VMON_BOOT_MULTIBOOT_H
#define VMON_BOOT_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002   /* in eax at entry */
#define MULTIBOOT_SEARCH           8192         /* the header lies in the first 8 KiB */

/* Header flags: bits 0-15 are requirements a loader must meet or refuse the kernel. */
#define MB_PAGE_ALIGN   (1u << 0)               /* modules page aligned */
#define MB_MEMORY_INFO  (1u << 1)               /* mem_* and mmap_* wanted */
#define MB_VIDEO_MODE   (1u << 2)
#define MB_AOUT_KLUDGE  (1u << 16)              /* load address fields below are valid */

#ifndef __ASSEMBLER__        /* the constants above serve assembly guests too */
#include <stddef.h>
#include <stdint.h>

struct multiboot_header {
    uint32_t magic, flags, checksum;             /* magic + flags + checksum == 0 */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;   /* a.out kludge */
    uint32_t mode_type, width, height, depth;    /* video, unused by vmon */
};

#endif

/* Info flags: which fields of struct multiboot_info are valid. */
#define MBI_MEMORY      (1u << 0)
#define MBI_CMDLINE     (1u << 2)
#define MBI_MODS        (1u << 3)
#define MBI_MMAP        (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

#ifndef __ASSEMBLER__
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;               /* KiB below 640 KiB / from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;             /* bytes of the mmap list, its address */
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info, vbe_mode_info;
    uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
};

struct multiboot_mod {
    uint32_t mod_start, mod_end;                 /* [start, end) */
    uint32_t string;                             /* its command line */
    uint32_t reserved;
};

/* One mmap entry; size counts the bytes after itself (20), so a reader steps by size + 4. */
struct __attribute__((packed)) multiboot_mmap {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
};

_Static_assert(offsetof(struct multiboot_info, cmdline) == 16, "mbi cmdline offset");
_Static_assert(offsetof(struct multiboot_info, mods_addr) == 24, "mbi mods_addr offset");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "mbi mmap_length offset");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "mbi boot_loader_name offset");
_Static_assert(sizeof(struct multiboot_info) == 88, "multiboot_info is 88 bytes");
_Static_assert(sizeof(struct multiboot_mmap) == 24, "mmap entry is 24 bytes");
#endif

#endif
