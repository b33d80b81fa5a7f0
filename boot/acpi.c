/* ACPI tables (ACPI 6.x, chapter 5.2): RSDP -> RSDT/XSDT -> FADT (-> FACS, DSDT), MADT, HPET,
 * MCFG (PCI Firmware 3.2, 4.1.2: where the ECAM window is).
 * Just enough for an OS to find the CPUs and the IOAPIC (MADT), to power off (FADT's PM1a control
 * block and the DSDT's \_S5 sleep type) and to reset (FADT RESET_REG). No AML interpreter is needed
 * on vmon's side: the DSDT holds \_S5 and the PCI root bridge, hand-encoded (boot/aml.c). */
#include <errno.h>
#include <string.h>

#include "boot/aml.h"
#include "boot/loader.h"

struct __attribute__((packed)) acpi_rsdp {          /* 5.2.5.3 */
    char signature[8];         /* "RSD PTR " */
    uint8_t checksum;          /* over the first 20 bytes (the ACPI 1.0 part) */
    char oem_id[6];
    uint8_t revision;          /* 2: XSDT and the extended fields are valid */
    uint32_t rsdt_addr;
    uint32_t length;           /* 36 */
    uint64_t xsdt_addr;
    uint8_t ext_checksum;      /* over all 36 bytes */
    uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {        /* 5.2.6: every SDT starts so */
    char signature[4];
    uint32_t length;           /* bytes, header included */
    uint8_t revision;
    uint8_t checksum;          /* all bytes of the table sum to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
};

struct __attribute__((packed)) acpi_gas {           /* 5.2.3.2 Generic Address Structure */
    uint8_t space_id;          /* 0 system memory, 1 system I/O */
    uint8_t bit_width, bit_offset, access_size;
    uint64_t address;
};

struct __attribute__((packed)) acpi_fadt {          /* 5.2.9, revision 6 (276 bytes) */
    struct acpi_header h;
    uint32_t firmware_ctrl, dsdt;
    uint8_t reserved0, preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;          /* 0: no SMM, the machine is always in ACPI mode */
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk;
    uint32_t gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len;
    uint8_t gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl, x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control_reg, sleep_status_reg;
    uint64_t hypervisor_vendor_id;
};

struct __attribute__((packed)) acpi_facs {          /* 5.2.10: no checksum, 64-byte aligned */
    char signature[4];
    uint32_t length;           /* 64 */
    uint32_t hardware_signature, firmware_waking_vector, global_lock, flags;
    uint64_t x_firmware_waking_vector;
    uint8_t version;
    uint8_t reserved[31];
};

struct __attribute__((packed)) acpi_hpet {          /* IA-PC HPET specification 1.0a, 3.2.4 */
    struct acpi_header h;
    uint32_t event_timer_block_id;
    struct acpi_gas base;
    uint8_t hpet_number;
    uint16_t min_tick;
    uint8_t page_protection;
};

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP v2 is 36 bytes");
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header is 36 bytes");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags offset");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG offset");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT offset");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL offset");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET table is 56 bytes");

#define FADT_WBINVD          (1u << 0)
#define FADT_PROC_C1         (1u << 2)   /* hlt works as C1 on every CPU */
#define FADT_SLP_BUTTON      (1u << 5)   /* no sleep button */
#define FADT_TMR_VAL_EXT     (1u << 8)   /* the PM timer counts 32 bits */
#define FADT_RESET_REG_SUP   (1u << 10)
#define BOOT_ARCH_LEGACY     (1u << 0)   /* ISA devices (UART, RTC, PIT) exist */
#define BOOT_ARCH_8042       (1u << 1)   /* an i8042 is there: Linux's reboot=k and the keyboard probe */
#define BOOT_ARCH_NO_VGA     (1u << 2)

#define DSDT_PCI0_MAX 2048       /* bytes of AML for \_SB.PCI0 (about 1.7 KiB) */
#define DSDT_MMIO_MAX 512        /* bytes of AML for the virtio-mmio devices (8 x 56 + scope) */

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    while (len--)
        sum += *b++;
    return (uint8_t)-sum;
}

static void header(uint8_t *t, const char *sig, uint8_t rev)
{
    struct acpi_header h = { .revision = rev, .oem_revision = 1, .creator_revision = 1 };
    memcpy(h.signature, sig, 4);
    memcpy(h.oem_id, "VMON  ", 6);
    memcpy(h.oem_table_id, "VMONPC  ", 8);
    memcpy(h.creator_id, "VMON", 4);
    memcpy(t, &h, sizeof(h));
}

/* Set the length and checksum of the table at t that is len bytes long. */
static void finish(uint8_t *t, uint32_t len)
{
    memcpy(t + offsetof(struct acpi_header, length), &len, 4);
    t[offsetof(struct acpi_header, checksum)] = 0;
    t[offsetof(struct acpi_header, checksum)] = acpi_checksum(t, len);
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bytes)
{
    return (struct acpi_gas){ .space_id = 1, .bit_width = (uint8_t)(bytes * 8),
                              .access_size = bytes == 1 ? 1 : bytes == 2 ? 2 : 3, .address = port };
}

/* \_S5 = Package(){5, 5, 0, 0}: the SLP_TYP values to write to PM1a/PM1b_CNT for soft-off (7.4.2).
 * AML (20.2): NameOp '_S5_' PackageOp PkgLength(8) NumElements(4) BytePrefix 5 BytePrefix 5 Zero Zero */
static const uint8_t dsdt_aml[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
};

/* \_S5, then the PCI root bridge with its interrupt routing (boot/aml.c). */
static size_t dsdt(uint8_t *t, int nmmio)
{
    header(t, "DSDT", 2);
    memcpy(t + sizeof(struct acpi_header), dsdt_aml, sizeof(dsdt_aml));
    uint32_t len = sizeof(struct acpi_header) + sizeof(dsdt_aml);
    len += (uint32_t)aml_pci0(t + len, DSDT_PCI0_MAX);
    if (nmmio > 0)
        len += (uint32_t)aml_virtio_mmio(t + len, DSDT_MMIO_MAX, nmmio);
    finish(t, len);
    return len;
}

static size_t fadt(uint8_t *t, uint32_t facs, uint32_t dsdt_addr, const struct acpi_board *b)
{
    struct acpi_fadt f;
    memset(&f, 0, sizeof(f));
    f.firmware_ctrl = facs;
    f.dsdt = dsdt_addr;
    f.sci_int = ACPI_SCI_IRQ;
    f.pm1a_evt_blk = b->pm_base;
    f.pm1a_cnt_blk = b->pm_base + 4u;
    f.pm_tmr_blk = b->pm_base + 8u;
    f.pm1_evt_len = 4;
    f.pm1_cnt_len = 2;
    f.pm_tmr_len = 4;
    f.p_lvl2_lat = 101;        /* > 100: C2 not supported */
    f.p_lvl3_lat = 1001;       /* > 1000: C3 not supported */
    f.century = 0x32;          /* the CMOS century register */
    f.iapc_boot_arch = BOOT_ARCH_LEGACY | BOOT_ARCH_8042 | (b->vga ? 0 : BOOT_ARCH_NO_VGA);
    f.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP;
    f.reset_reg = io_gas(RESET_PORT, 1);
    f.reset_value = RESET_VALUE;
    f.minor_version = 0;
    /* 5.2.9: X_FIRMWARE_CTRL must be zero when FIRMWARE_CTRL is used (the FACS is below 4 GiB);
     * the DSDT is given in both forms, with the same value, as ACPICA expects. */
    f.x_dsdt = dsdt_addr;
    f.x_pm1a_evt_blk = io_gas(b->pm_base, 4);
    f.x_pm1a_cnt_blk = io_gas(b->pm_base + 4u, 2);
    f.x_pm_tmr_blk = io_gas(b->pm_base + 8u, 4);
    memcpy(t, &f, sizeof(f));
    header(t, "FACP", 6);
    finish(t, sizeof(f));
    return sizeof(f);
}

static size_t madt(uint8_t *t, const uint8_t *apic_ids, int ncpus)
{
    header(t, "APIC", 4);
    size_t off = sizeof(struct acpi_header);
    uint32_t lapic = LAPIC_ADDR, flags = 1;    /* PCAT_COMPAT: 8259s are present too */
    memcpy(t + off, &lapic, 4);
    memcpy(t + off + 4, &flags, 4);
    off += 8;
    for (int i = 0; i < ncpus; i++) {          /* 5.2.12.2: type, length, UID, APIC id, flags */
        uint8_t e[8] = { MADT_LAPIC, 8, (uint8_t)i, apic_ids[i], 1, 0, 0, 0 };
        memcpy(t + off, e, sizeof(e));
        off += sizeof(e);
    }
    uint8_t io[12] = { MADT_IOAPIC, 12, boot_ioapic_id(apic_ids, ncpus), 0 };   /* 5.2.12.3: id, addr, GSI base 0 */
    uint32_t ioaddr = IOAPIC_ADDR;
    memcpy(io + 4, &ioaddr, 4);
    memcpy(t + off, io, sizeof(io));
    off += sizeof(io);
    /* 5.2.12.5 interrupt source overrides: the PIT's ISA IRQ 0 is wired to GSI 2, and the SCI is
     * level-triggered active-high (flags: polarity 01 high, trigger 11 level). */
    static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } iso[] = {
        { 0, 2, 0x0000 },
        { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d },
    };
    for (size_t i = 0; i < sizeof(iso) / sizeof(iso[0]); i++) {
        uint8_t e[10] = { MADT_ISO, 10, 0 /* ISA bus */, iso[i].irq };
        memcpy(e + 4, &iso[i].gsi, 4);
        memcpy(e + 8, &iso[i].flags, 2);
        memcpy(t + off, e, sizeof(e));
        off += sizeof(e);
    }
    /* 5.2.12.7: NMI arrives on LINT1 of every processor (UID 0xff = all). */
    uint8_t nmi[6] = { MADT_LAPIC_NMI, 6, 0xff, 0, 0, 1 };
    memcpy(t + off, nmi, sizeof(nmi));
    off += sizeof(nmi);
    finish(t, (uint32_t)off);
    return off;
}

static size_t hpet(uint8_t *t)
{
    struct acpi_hpet h;
    memset(&h, 0, sizeof(h));
    /* Event timer block id: vendor 0x8086, legacy replacement capable, 64-bit counter,
     * 3 comparators (field holds the last index, 2), revision 1. */
    h.event_timer_block_id = 0x8086a201;
    h.base = (struct acpi_gas){ .space_id = 0, .bit_width = 64, .address = HPET_ADDR };
    h.min_tick = 100;
    memcpy(t, &h, sizeof(h));
    header(t, "HPET", 1);
    finish(t, sizeof(h));
    return sizeof(h);
}

/* MCFG: one allocation, segment 0, buses 0-255 at PCI_ECAM_BASE (PCI Firmware 3.2, table 4-3). */
static size_t mcfg(uint8_t *t)
{
    header(t, "MCFG", 1);
    size_t off = sizeof(struct acpi_header) + 8;   /* 8 reserved bytes */
    uint64_t base = PCI_ECAM_BASE;
    uint8_t e[16] = { 0 };
    memcpy(e, &base, 8);
    e[8] = 0;
    e[9] = 0;                                      /* segment 0 */
    e[10] = 0;                                     /* start bus */
    e[11] = PCI_ECAM_BUSES - 1;                    /* end bus */
    memcpy(t + off, e, sizeof(e));
    off += sizeof(e);
    finish(t, (uint32_t)off);
    return off;
}

static size_t align(size_t off, size_t a)
{
    return (off + a - 1) & ~(a - 1);
}

int acpi_build(uint8_t *buf, size_t cap, uint32_t base, const uint8_t *apic_ids, int ncpus,
               int nmmio)
{
    const struct acpi_board b = { .pm_base = PM1A_EVT_PORT, .vga = false };
    return acpi_build_board(buf, cap, base, apic_ids, ncpus, nmmio, &b);
}

int acpi_build_board(uint8_t *buf, size_t cap, uint32_t base, const uint8_t *apic_ids, int ncpus,
                     int nmmio, const struct acpi_board *board)
{
    if (ncpus < 1 || ncpus > 254 || apic_ids[ncpus - 1] >= 254 || nmmio < 0 ||
        nmmio > VIRTIO_MMIO_MAX)
        return -EINVAL;
    /* The largest layout: RSDP, RSDT, XSDT, FACS, DSDT, FADT, MADT, HPET, MCFG, each aligned. */
    size_t need = 64 + 64 + 128 + 64 + 64 + DSDT_PCI0_MAX + DSDT_MMIO_MAX + 288 + 64 + 8 * (size_t)ncpus + 12 + 20 +
                  6 + 64 + 64 + 64 * 8;
    if (need > cap)
        return -ENOSPC;
    memset(buf, 0, need);

    size_t rsdt_off = 64, xsdt_off = 128;
    size_t facs_off = 256;          /* 64-byte aligned (5.2.10), after an XSDT of up to 15 tables */
    size_t dsdt_off = facs_off + 64;
    size_t fadt_off = align(dsdt_off + dsdt(buf + dsdt_off, nmmio), 16);
    size_t madt_off = align(fadt_off + fadt(buf + fadt_off, base + (uint32_t)facs_off,
                                            base + (uint32_t)dsdt_off, board), 16);
    size_t hpet_off = align(madt_off + madt(buf + madt_off, apic_ids, ncpus), 16);
    size_t mcfg_off = align(hpet_off + hpet(buf + hpet_off), 16);
    size_t end = mcfg_off + mcfg(buf + mcfg_off);

    struct acpi_facs facs = { .signature = "FACS", .length = 64, .version = 2 };
    memcpy(buf + facs_off, &facs, sizeof(facs));

    /* RSDT (32-bit pointers) for ACPI 1.0 readers, XSDT (64-bit) for everyone else. */
    const size_t tables[] = { fadt_off, madt_off, hpet_off, mcfg_off };
    const size_t ntables = sizeof(tables) / sizeof(tables[0]);
    header(buf + rsdt_off, "RSDT", 1);
    header(buf + xsdt_off, "XSDT", 1);
    for (size_t i = 0; i < ntables; i++) {
        uint32_t p32 = base + (uint32_t)tables[i];
        uint64_t p64 = p32;
        memcpy(buf + rsdt_off + sizeof(struct acpi_header) + 4 * i, &p32, 4);
        memcpy(buf + xsdt_off + sizeof(struct acpi_header) + 8 * i, &p64, 8);
    }
    finish(buf + rsdt_off, (uint32_t)(sizeof(struct acpi_header) + 4 * ntables));
    finish(buf + xsdt_off, (uint32_t)(sizeof(struct acpi_header) + 8 * ntables));

    struct acpi_rsdp rsdp = { .signature = "RSD PTR ", .revision = 2, .length = sizeof(rsdp),
                              .rsdt_addr = base + (uint32_t)rsdt_off, .xsdt_addr = base + xsdt_off };
    memcpy(rsdp.oem_id, "VMON  ", 6);
    rsdp.checksum = acpi_checksum(&rsdp, 20);
    rsdp.ext_checksum = acpi_checksum(&rsdp, sizeof(rsdp));
    memcpy(buf, &rsdp, sizeof(rsdp));
    return (int)end;
}
