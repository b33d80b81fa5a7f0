/* The Linux x86 boot protocol's structures: setup_header and the boot_params "zero page"
 * (Documentation/arch/x86/boot.rst and zero-page.rst). Offsets are the spec's, asserted below. */
#ifndef VMON_BOOT_BOOTPARAM_H
#define VMON_BOOT_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

#define SETUP_HEADER_OFFSET 0x1f1      /* where the header sits in the image and in boot_params */
#define SETUP_HDRS_MAGIC    0x53726448 /* "HdrS" */
#define SETUP_BOOT_FLAG     0xaa55

/* loadflags */
#define LOADED_HIGH     0x01           /* protected-mode code loads at 0x100000 (bzImage) */
#define KEEP_SEGMENTS   0x40
#define CAN_USE_HEAP    0x80           /* heap_end_ptr is valid */
/* xloadflags (protocol 2.12) */
#define XLF_KERNEL_64   0x01           /* has the 64-bit entry at code32_start + 0x200 */

#define E820_RAM        1
#define E820_RESERVED   2
#define E820_ACPI       3
#define E820_MAX_ZEROPAGE 128

struct __attribute__((packed)) setup_header {
    uint8_t  setup_sects;          /* 0x1f1: 512-byte sectors of setup after the boot sector; 0 = 4 */
    uint16_t root_flags;
    uint32_t syssize;              /* 16-byte paragraphs of protected-mode code */
    uint16_t ram_size;
    uint16_t vid_mode;
    uint16_t root_dev;
    uint16_t boot_flag;            /* 0x1fe: 0xaa55 */
    uint16_t jump;                 /* 0x200: jmp; its second byte gives the header's end - 0x202 */
    uint32_t header;               /* 0x202: "HdrS" */
    uint16_t version;              /* 0x206: protocol version, e.g. 0x020f */
    uint32_t realmode_swtch;
    uint16_t start_sys_seg;
    uint16_t kernel_version;
    uint8_t  type_of_loader;       /* 0x210: 0xff = undefined loader */
    uint8_t  loadflags;
    uint16_t setup_move_size;
    uint32_t code32_start;         /* 0x214 */
    uint32_t ramdisk_image;        /* 0x218 */
    uint32_t ramdisk_size;
    uint32_t bootsect_kludge;
    uint16_t heap_end_ptr;         /* 0x224: offset from the setup's start */
    uint8_t  ext_loader_ver;
    uint8_t  ext_loader_type;
    uint32_t cmd_line_ptr;         /* 0x228 */
    uint32_t initrd_addr_max;      /* 0x22c: highest byte the initrd may occupy */
    uint32_t kernel_alignment;
    uint8_t  relocatable_kernel;
    uint8_t  min_alignment;
    uint16_t xloadflags;           /* 0x236 */
    uint32_t cmdline_size;         /* 0x238: without the terminating NUL */
    uint32_t hardware_subarch;
    uint64_t hardware_subarch_data;
    uint32_t payload_offset;       /* 0x248: compressed kernel, from the protected-mode code's start */
    uint32_t payload_length;
    uint64_t setup_data;
    uint64_t pref_address;         /* 0x258 */
    uint32_t init_size;            /* 0x260: bytes the kernel needs from its load address */
    uint32_t handover_offset;
    uint32_t kernel_info_offset;   /* 0x268 */
};

struct __attribute__((packed)) e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};

struct __attribute__((packed)) boot_params {
    uint8_t  screen_info[0x40];            /* 0x000 */
    uint8_t  apm_bios_info[0x14];          /* 0x040 */
    uint8_t  _pad2[4];
    uint64_t tboot_addr;                   /* 0x058 */
    uint8_t  ist_info[0x10];               /* 0x060 */
    uint64_t acpi_rsdp_addr;               /* 0x070 */
    uint8_t  _pad3[8];
    uint8_t  hd0_info[16];                 /* 0x080 */
    uint8_t  hd1_info[16];
    uint8_t  sys_desc_table[0x10];         /* 0x0a0 */
    uint8_t  olpc_ofw_header[0x10];        /* 0x0b0 */
    uint32_t ext_ramdisk_image;            /* 0x0c0 */
    uint32_t ext_ramdisk_size;
    uint32_t ext_cmd_line_ptr;             /* 0x0c8 */
    uint8_t  _pad4[112];
    uint32_t cc_blob_address;              /* 0x13c */
    uint8_t  edid_info[0x80];              /* 0x140 */
    uint8_t  efi_info[0x20];               /* 0x1c0 */
    uint32_t alt_mem_k;                    /* 0x1e0 */
    uint32_t scratch;
    uint8_t  e820_entries;                 /* 0x1e8 */
    uint8_t  eddbuf_entries;
    uint8_t  edd_mbr_sig_buf_entries;
    uint8_t  kbd_status;
    uint8_t  secure_boot;
    uint8_t  _pad5[2];
    uint8_t  sentinel;                     /* 0x1ef: a loader that zeroes the page leaves it 0 */
    uint8_t  _pad6[1];
    struct setup_header hdr;               /* 0x1f1 */
    uint8_t  _pad7[0x290 - 0x1f1 - sizeof(struct setup_header)];
    uint32_t edd_mbr_sig_buffer[16];       /* 0x290 */
    struct e820_entry e820_table[E820_MAX_ZEROPAGE]; /* 0x2d0 */
    uint8_t  _pad8[48];
    uint8_t  eddbuf[6 * 82];               /* 0xd00 */
    uint8_t  _pad9[276];
};

/* The spec's offsets (zero-page.rst, boot.rst), checked at compile time and again by the unit test. */
_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "setup_header size");
_Static_assert(offsetof(struct boot_params, hdr) == 0x1f1, "hdr offset");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr offset");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries offset");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table offset");
_Static_assert(offsetof(struct boot_params, eddbuf) == 0xd00, "eddbuf offset");
_Static_assert(sizeof(struct boot_params) == 4096, "boot_params is one page");
_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry size");

#endif
