/* vmon's ACPI tables for a firmware boot, as the three fw_cfg files QEMU hands SeaBIOS and OVMF
 * (QEMU hw/acpi/bios-linker-loader.c describes the format; SeaBIOS src/fw/romfile_loader.c runs it):
 *   etc/acpi/rsdp      the RSDP, allocated in the F segment, where an OS's RSDP scan finds it
 *   etc/acpi/tables    RSDT, XSDT, FACS, DSDT, FADT, MADT, HPET, MCFG, allocated in high memory
 *   etc/table-loader   128-byte commands: ALLOCATE each file, ADD_POINTER for every pointer between
 *                      tables (its field holds the offset into the pointee file; the firmware adds
 *                      where it put that file), ADD_CHECKSUM for every checksum the pointers change
 *                      (its byte is 0 in the file, as in QEMU's: OVMF's loader needs that).
 * The tables are acpi_build's (boot/acpi.c) built at base 0, so each pointer already is the offset;
 * which fields are pointers is read back from the built tables (RSDP, RSDT/XSDT entries, FADT). */
#include "boot/acpi-loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/loader.h"

#define LOADER_CMD_SIZE    128
#define LOADER_ALLOCATE    1
#define LOADER_ADD_POINTER 2
#define LOADER_ADD_CHECKSUM 3
#define ZONE_HIGH 1
#define ZONE_FSEG 2
#define RSDP_SIZE 36
#define HDR_SIZE  36

struct loader {
    struct acpi_fw_files *out;
    int err;
};

static uint8_t *next_cmd(struct loader *l, uint32_t cmd)
{
    if (l->out->loader_len + LOADER_CMD_SIZE > sizeof(l->out->loader)) {
        l->err = -ENOSPC;
        return NULL;
    }
    uint8_t *c = l->out->loader + l->out->loader_len;
    l->out->loader_len += LOADER_CMD_SIZE;
    memset(c, 0, LOADER_CMD_SIZE);
    memcpy(c, &cmd, 4);                     /* little-endian host (x86-64) */
    return c;
}

static void put_name(uint8_t *at, const char *name)
{
    strncpy((char *)at, name, ACPI_FW_NAME_LEN - 1);
}

static void cmd_allocate(struct loader *l, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *c = next_cmd(l, LOADER_ALLOCATE);
    if (!c)
        return;
    put_name(c + 4, file);
    memcpy(c + 4 + ACPI_FW_NAME_LEN, &align, 4);
    c[8 + ACPI_FW_NAME_LEN] = zone;
}

static void cmd_pointer(struct loader *l, const char *dest, const char *src, uint32_t off, uint8_t size)
{
    uint8_t *c = next_cmd(l, LOADER_ADD_POINTER);
    if (!c)
        return;
    put_name(c + 4, dest);
    put_name(c + 4 + ACPI_FW_NAME_LEN, src);
    memcpy(c + 4 + 2 * ACPI_FW_NAME_LEN, &off, 4);
    c[8 + 2 * ACPI_FW_NAME_LEN] = size;
}

/* The checksum byte itself is cleared in the file: SeaBIOS adjusts the byte by the range's sum,
 * which works from any start, but OVMF (QemuFwCfgAcpi.c) stores the range's negated sum, which is
 * right only when the byte was 0 (as QEMU leaves it); a nonzero one left every table with a bad
 * checksum, so OVMF installed none and Linux under UEFI ran without ACPI. */
static void cmd_checksum(struct loader *l, const char *file, uint32_t result, uint32_t start, uint32_t len)
{
    uint8_t *c = next_cmd(l, LOADER_ADD_CHECKSUM);
    if (!c)
        return;
    if (!strcmp(file, ACPI_FW_RSDP) && result < RSDP_SIZE)
        l->out->rsdp[result] = 0;
    else if (!strcmp(file, ACPI_FW_TABLES) && result < l->out->tables_len)
        l->out->tables[result] = 0;
    put_name(c + 4, file);
    memcpy(c + 4 + ACPI_FW_NAME_LEN, &result, 4);
    memcpy(c + 8 + ACPI_FW_NAME_LEN, &start, 4);
    memcpy(c + 12 + ACPI_FW_NAME_LEN, &len, 4);
}

static uint64_t get(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

/* Is [off, off+len) inside the tables file? */
static int in_tables(const struct acpi_fw_files *o, uint64_t off, uint64_t len)
{
    return off >= RSDP_SIZE && off <= o->tables_len && len <= o->tables_len - off;
}

/* A table's header checksum (offset 9 over its length) and, for the FADT, its three pointers and
 * the DSDT's checksum. */
static void link_table(struct loader *l, uint32_t off)
{
    const struct acpi_fw_files *o = l->out;
    uint32_t len = (uint32_t)get(o->tables + off + 4, 4);
    if (!in_tables(o, off, HDR_SIZE) || !in_tables(o, off, len)) {
        l->err = -EINVAL;
        return;
    }
    if (!memcmp(o->tables + off, "FACP", 4) && len >= 148) {
        cmd_pointer(l, ACPI_FW_TABLES, ACPI_FW_TABLES, off + 36, 4);    /* FIRMWARE_CTRL (FACS) */
        cmd_pointer(l, ACPI_FW_TABLES, ACPI_FW_TABLES, off + 40, 4);    /* DSDT */
        cmd_pointer(l, ACPI_FW_TABLES, ACPI_FW_TABLES, off + 140, 8);   /* X_DSDT */
        uint32_t dsdt = (uint32_t)get(o->tables + off + 40, 4);
        uint32_t dlen = in_tables(o, dsdt, HDR_SIZE) ? (uint32_t)get(o->tables + dsdt + 4, 4) : 0;
        if (!dlen || !in_tables(o, dsdt, dlen)) {
            l->err = -EINVAL;
            return;
        }
        cmd_checksum(l, ACPI_FW_TABLES, dsdt + 9, dsdt, dlen);
    }
    cmd_checksum(l, ACPI_FW_TABLES, off + 9, off, len);
}

/* The RSDT (entry 4 bytes) or XSDT (8): each entry a pointer, then each table once (from the RSDT). */
static void link_sdt(struct loader *l, uint32_t off, unsigned entry, int tables_too)
{
    const struct acpi_fw_files *o = l->out;
    uint32_t len = in_tables(o, off, HDR_SIZE) ? (uint32_t)get(o->tables + off + 4, 4) : 0;
    if (len < HDR_SIZE || !in_tables(o, off, len)) {
        l->err = -EINVAL;
        return;
    }
    for (uint32_t e = off + HDR_SIZE; e + entry <= off + len; e += entry) {
        cmd_pointer(l, ACPI_FW_TABLES, ACPI_FW_TABLES, e, (uint8_t)entry);
        if (tables_too)
            link_table(l, (uint32_t)get(o->tables + e, entry));
    }
    cmd_checksum(l, ACPI_FW_TABLES, off + 9, off, len);
}

int acpi_fw_build(struct acpi_fw_files *out, const uint8_t *apic_ids, int ncpus, int nmmio,
                  const struct acpi_board *board)
{
    memset(out, 0, sizeof(*out));
    int n = acpi_build_board(out->tables, sizeof(out->tables), 0, apic_ids, ncpus, nmmio, board);
    if (n < 0)
        return n;
    out->tables_len = (size_t)n;
    memcpy(out->rsdp, out->tables, RSDP_SIZE);
    memset(out->tables, 0, RSDP_SIZE);      /* the RSDP lives in its own file only */

    struct loader l = { .out = out };
    cmd_allocate(&l, ACPI_FW_RSDP, 16, ZONE_FSEG);
    cmd_allocate(&l, ACPI_FW_TABLES, 64, ZONE_HIGH);    /* the FACS wants 64-byte alignment */
    uint32_t rsdt = (uint32_t)get(out->rsdp + 16, 4), xsdt = (uint32_t)get(out->rsdp + 24, 8);
    cmd_pointer(&l, ACPI_FW_RSDP, ACPI_FW_TABLES, 16, 4);
    cmd_pointer(&l, ACPI_FW_RSDP, ACPI_FW_TABLES, 24, 8);
    link_sdt(&l, rsdt, 4, 1);
    link_sdt(&l, xsdt, 8, 0);
    cmd_checksum(&l, ACPI_FW_RSDP, 8, 0, 20);             /* the ACPI 1.0 part first, */
    cmd_checksum(&l, ACPI_FW_RSDP, 32, 0, RSDP_SIZE);     /* then the whole, which covers it */
    return l.err;
}
