/* SMBIOS structures for a firmware boot (DMTF DSP0134 3.x, written as version 2.8 as QEMU's pc
 * machine does; section numbers are DSP0134's), handed over as QEMU hands them (hw/smbios):
 *   etc/smbios/smbios-anchor  the 2.1 entry point (5.2.1) with the table length, the structure
 *                             count and the largest structure; the firmware fills in the table's
 *                             address and both checksums (SeaBIOS smbios_romfile_setup, OVMF
 *                             SmbiosPlatformDxe, which reads the version from it)
 *   etc/smbios/smbios-tables  the structures: type 1 system (7.2), 3 chassis (7.4), one 4 per
 *                             processor socket (7.5), 16 memory array (7.17), one 17 per DIMM of
 *                             up to 16 GiB (7.18), one 19 per RAM range (7.20), 32 boot status
 *                             (7.33), 127 end of table (7.45), with QEMU's handle numbering.
 * Type 0 (the BIOS) is left to the firmware, which describes itself, as with QEMU's defaults.
 * Each structure: type, length, handle, the formatted fields, then its strings (numbered from 1,
 * each NUL-terminated) and one more NUL (two when there are none). */
#include "boot/smbios.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SMBIOS_MAJOR 2
#define SMBIOS_MINOR 8
#define DIMM_MAX (16ull << 30)           /* QEMU's largest type 17 device */
#define MAX_DIMMS 512                    /* 8 TiB */
#define KIB 1024ull
#define NO_HANDLE 0xfffe                 /* "no error information" */
#define UNKNOWN_HANDLE 0xffff

struct writer {
    struct smbios_fw_files *out;
    uint8_t *cur;            /* the structure being written */
    size_t cur_len;          /* its formatted length */
    uint8_t nstrings;
    unsigned count;
    size_t max_struct;
    int err;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* Start a structure of len formatted bytes; NULL when it does not fit (err set). */
static uint8_t *begin(struct writer *w, uint8_t type, uint8_t len, uint16_t handle)
{
    struct smbios_fw_files *o = w->out;
    if (w->err || o->tables_len + len + 2 > sizeof(o->tables)) {
        w->err = -ENOSPC;
        return NULL;
    }
    w->cur = o->tables + o->tables_len;
    w->cur_len = len;
    w->nstrings = 0;
    memset(w->cur, 0, len);
    w->cur[0] = type;
    w->cur[1] = len;
    put16(w->cur + 2, handle);
    o->tables_len += len;
    return w->cur;
}

/* Append a string to the current structure; its number (0 for an empty string: "none"). */
static uint8_t str(struct writer *w, const char *s)
{
    struct smbios_fw_files *o = w->out;
    size_t n = strlen(s) + 1;
    if (w->err || n == 1)
        return 0;
    if (o->tables_len + n + 1 > sizeof(o->tables)) {
        w->err = -ENOSPC;
        return 0;
    }
    memcpy(o->tables + o->tables_len, s, n);
    o->tables_len += n;
    return ++w->nstrings;
}

/* Close the string set: one NUL after the last string, two when there were none. */
static void end(struct writer *w)
{
    struct smbios_fw_files *o = w->out;
    if (w->err)
        return;
    size_t n = w->nstrings ? 1 : 2;
    if (o->tables_len + n > sizeof(o->tables)) {
        w->err = -ENOSPC;
        return;
    }
    memset(o->tables + o->tables_len, 0, n);
    o->tables_len += n;
    size_t size = (size_t)(o->tables + o->tables_len - w->cur);
    if (size > w->max_struct)
        w->max_struct = size;
    w->count++;
}

static void type1_system(struct writer *w, const struct smbios_board *b)
{
    uint8_t *t = begin(w, 1, 27, 0x100);
    if (!t)
        return;
    t[4] = str(w, "vmon");                              /* manufacturer */
    t[5] = str(w, "Standard PC (i440FX + PIIX, 1996)"); /* product */
    t[6] = str(w, "pc");                                /* version */
    memcpy(t + 8, b->uuid, 16);
    t[24] = 0x06;                                       /* wake-up: power switch */
    end(w);
}

static void type3_chassis(struct writer *w)
{
    uint8_t *t = begin(w, 3, 22, 0x300);
    if (!t)
        return;
    t[4] = str(w, "vmon");
    t[5] = 0x01;                     /* type: other */
    t[6] = str(w, "pc");
    t[9] = t[10] = t[11] = 0x03;     /* boot-up, power supply, thermal state: safe */
    t[12] = 0x02;                    /* security status: unknown */
    end(w);
}

static void type4_processor(struct writer *w, const struct smbios_board *b, unsigned socket)
{
    uint8_t *t = begin(w, 4, 42, (uint16_t)(0x400 + socket));
    if (!t)
        return;
    char name[16];
    snprintf(name, sizeof(name), "CPU %u", socket);
    t[4] = str(w, name);             /* socket designation */
    t[5] = 0x03;                     /* central processor */
    t[6] = 0x01;                     /* family: other */
    t[7] = str(w, "vmon");
    put32(t + 8, b->cpu_signature);  /* processor ID: CPUID 1 EAX, EDX */
    put32(t + 12, b->cpu_features);
    t[16] = str(w, "pc");
    put16(t + 20, 2000);             /* max speed, MHz */
    put16(t + 22, 2000);             /* current speed */
    t[24] = 0x41;                    /* socket populated, CPU enabled */
    t[25] = 0x01;                    /* upgrade: other */
    put16(t + 26, UNKNOWN_HANDLE);   /* no L1, L2, L3 cache structures */
    put16(t + 28, UNKNOWN_HANDLE);
    put16(t + 30, UNKNOWN_HANDLE);
    t[35] = t[36] = (uint8_t)(b->cores > 255 ? 255 : b->cores);
    unsigned threads = b->cores * b->threads;
    t[37] = (uint8_t)(threads > 255 ? 255 : threads);
    put16(t + 38, 0x02);             /* characteristics: unknown */
    put16(t + 40, 0x01);             /* family 2: other */
    end(w);
}

static void type16_array(struct writer *w, uint64_t ram, unsigned ndimms)
{
    uint8_t *t = begin(w, 16, 23, 0x1000);
    if (!t)
        return;
    t[4] = 0x01;                     /* location: other */
    t[5] = 0x03;                     /* use: system memory */
    t[6] = 0x06;                     /* error correction: multi-bit ECC */
    uint64_t kib = ram / KIB;
    if (kib < 0x80000000ull) {
        put32(t + 7, (uint32_t)kib);
    } else {
        put32(t + 7, 0x80000000u);   /* see the extended field (bytes) */
        put64(t + 15, ram);
    }
    put16(t + 11, NO_HANDLE);
    put16(t + 13, (uint16_t)ndimms);
    end(w);
}

static void type17_dimm(struct writer *w, unsigned i, uint64_t size)
{
    uint8_t *t = begin(w, 17, 40, (uint16_t)(0x1100 + i));
    if (!t)
        return;
    char loc[16];
    snprintf(loc, sizeof(loc), "DIMM %u", i);
    put16(t + 4, 0x1000);            /* its memory array */
    put16(t + 6, NO_HANDLE);
    put16(t + 8, 0xffff);            /* total and data width: unknown */
    put16(t + 10, 0xffff);
    put16(t + 12, (uint16_t)(size >> 20));   /* MiB: at most 16384, below 0x7fff ("extended") */
    t[14] = 0x09;                    /* form factor: DIMM */
    t[16] = str(w, loc);             /* device locator */
    t[18] = 0x07;                    /* memory type: RAM */
    put16(t + 19, 0x02);             /* type detail: other */
    t[23] = str(w, "vmon");          /* manufacturer */
    end(w);
}

static void type19_range(struct writer *w, unsigned i, uint64_t start, uint64_t size)
{
    uint8_t *t = begin(w, 19, 31, (uint16_t)(0x1300 + i));
    if (!t)
        return;
    uint64_t end_addr = start + size - 1;
    if (end_addr / KIB < 0xffffffffull) {
        put32(t + 4, (uint32_t)(start / KIB));
        put32(t + 8, (uint32_t)(end_addr / KIB));
    } else {
        put32(t + 4, 0xffffffffu);   /* see the extended addresses (bytes) */
        put32(t + 8, 0xffffffffu);
        put64(t + 15, start);
        put64(t + 23, end_addr);
    }
    put16(t + 12, 0x1000);
    t[14] = 1;                       /* partition width */
    end(w);
}

static void type32_boot(struct writer *w)
{
    if (begin(w, 32, 11, 0x2000))    /* status 0: no errors detected */
        end(w);
}

static void type127_end(struct writer *w)
{
    if (begin(w, 127, 4, 0x7f00))
        end(w);
}

/* 5.2.1: "_SM_", checksum, length, version, largest structure, revision, formatted area, "_DMI_",
 * intermediate checksum, table length, table address, structure count, BCD version. */
static void anchor(struct smbios_fw_files *o, const struct writer *w)
{
    uint8_t *a = o->anchor;
    memset(a, 0, SMBIOS_ANCHOR_LEN);
    memcpy(a, "_SM_", 4);
    a[5] = SMBIOS_ANCHOR_LEN;
    a[6] = SMBIOS_MAJOR;
    a[7] = SMBIOS_MINOR;
    put16(a + 8, (uint16_t)w->max_struct);
    memcpy(a + 16, "_DMI_", 5);
    put16(a + 22, (uint16_t)o->tables_len);
    put16(a + 28, (uint16_t)w->count);
    a[30] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;
}

int smbios_build(struct smbios_fw_files *out, const struct smbios_board *b)
{
    memset(out, 0, sizeof(*out));
    uint64_t ram = b->ram_below_4g + b->ram_above_4g;
    if (!b->sockets || b->sockets > SMBIOS_MAX_SOCKETS || !b->cores || !b->threads ||
        !b->ram_below_4g || b->ram_below_4g > (4ull << 30) || ram < b->ram_below_4g)
        return -EINVAL;
    unsigned ndimms = (unsigned)((ram + DIMM_MAX - 1) / DIMM_MAX);
    if (ndimms > MAX_DIMMS)
        return -EINVAL;
    struct writer w = { .out = out };
    type1_system(&w, b);
    type3_chassis(&w);
    for (unsigned s = 0; s < b->sockets; s++)
        type4_processor(&w, b, s);
    type16_array(&w, ram, ndimms);
    for (unsigned i = 0; i < ndimms; i++) {
        uint64_t left = ram - (uint64_t)i * DIMM_MAX;
        type17_dimm(&w, i, left < DIMM_MAX ? left : DIMM_MAX);
    }
    type19_range(&w, 0, 0, b->ram_below_4g);
    if (b->ram_above_4g)
        type19_range(&w, 1, 4ull << 30, b->ram_above_4g);
    type32_boot(&w);
    type127_end(&w);
    if (w.err)
        return w.err;
    anchor(out, &w);
    return 0;
}
