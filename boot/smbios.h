/* vmon's SMBIOS tables for a firmware boot, as the two fw_cfg files QEMU hands SeaBIOS and OVMF
 * (etc/smbios/smbios-anchor: a 2.1 entry point; etc/smbios/smbios-tables: the structures). */
#ifndef VMON_BOOT_SMBIOS_H
#define VMON_BOOT_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_FW_ANCHOR "etc/smbios/smbios-anchor"
#define SMBIOS_FW_TABLES "etc/smbios/smbios-tables"
#define SMBIOS_ANCHOR_LEN 31           /* the 2.1 (32-bit) entry point */
#define SMBIOS_TABLES_MAX 0xffff       /* the entry point's 16-bit table length */
#define SMBIOS_MAX_SOCKETS 255

/* What the tables describe. */
struct smbios_board {
    unsigned sockets, cores, threads;  /* one type 4 per socket */
    uint32_t cpu_signature;            /* CPUID leaf 1 EAX */
    uint32_t cpu_features;             /* CPUID leaf 1 EDX */
    uint64_t ram_below_4g, ram_above_4g;   /* bytes of RAM at 0 and at 4 GiB */
    uint8_t uuid[16];                  /* the system UUID, in SMBIOS's byte order */
};

struct smbios_fw_files {
    uint8_t anchor[SMBIOS_ANCHOR_LEN];
    uint8_t tables[SMBIOS_TABLES_MAX];
    size_t tables_len;
};

/* Build the two files; 0, -EINVAL for a board it cannot describe, -ENOSPC when they do not fit. */
int smbios_build(struct smbios_fw_files *out, const struct smbios_board *b);

#endif
