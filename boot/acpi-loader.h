/* vmon's ACPI tables as the fw_cfg files a firmware links itself (etc/acpi/tables, etc/acpi/rsdp,
 * etc/table-loader: QEMU's linker/loader format), for a boot without --kernel. */
#ifndef VMON_BOOT_ACPI_LOADER_H
#define VMON_BOOT_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_FW_TABLES "etc/acpi/tables"
#define ACPI_FW_RSDP   "etc/acpi/rsdp"
#define ACPI_FW_LOADER "etc/table-loader"
#define ACPI_FW_NAME_LEN 56            /* a file name field in a loader command, NUL included */
#define ACPI_FW_TABLES_MAX 0x10000
#define ACPI_FW_LOADER_MAX (64 * 128)  /* 64 commands */

struct acpi_fw_files {
    uint8_t tables[ACPI_FW_TABLES_MAX];
    size_t tables_len;
    uint8_t rsdp[36];
    uint8_t loader[ACPI_FW_LOADER_MAX];
    size_t loader_len;
};

/* Build the three files for ncpus CPUs at apic_ids and nmmio virtio-mmio devices (acpi_build's
 * arguments); 0 or -errno. out is large (about 72 KiB): allocate it. */
struct acpi_board;
int acpi_fw_build(struct acpi_fw_files *out, const uint8_t *apic_ids, int ncpus, int nmmio,
                  const struct acpi_board *board);

#endif
