/* The Intel MultiProcessor Specification 1.4 tables: a floating pointer structure the OS finds by
 * scanning the BIOS ROM area, and the configuration table it points to, listing the processors, the
 * ISA and PCI buses, the IOAPIC and how each ISA IRQ and PCI INTx reaches an IOAPIC pin. Linux uses ACPI's MADT when present;
 * the MP table is for kernels that only know this (and for acpi=off). */
#include <errno.h>
#include <string.h>

#include "boot/loader.h"

struct __attribute__((packed)) mpf_intel {          /* MP spec 4.1: floating pointer */
    char signature[4];         /* "_MP_" */
    uint32_t physptr;          /* config table */
    uint8_t length;            /* in 16-byte units: 1 */
    uint8_t specification;     /* 4 = version 1.4 */
    uint8_t checksum;
    uint8_t feature[5];        /* feature[0] = 0: a config table is present */
};

struct __attribute__((packed)) mpc_table {          /* MP spec 4.2: config table header */
    char signature[4];         /* "PCMP" */
    uint16_t length;           /* base table, header included */
    uint8_t spec;
    uint8_t checksum;
    char oem[8];
    char productid[12];
    uint32_t oemptr;
    uint16_t oemsize;
    uint16_t oemcount;         /* number of entries */
    uint32_t lapic;
    uint16_t reserved;         /* extended table length */
    uint8_t ext_checksum;
    uint8_t reserved2;
};

struct __attribute__((packed)) mpc_cpu {            /* entry type 0 */
    uint8_t type, apicid, apicver, cpuflag;
    uint32_t cpufeature, featureflag;
    uint32_t reserved[2];
};
struct __attribute__((packed)) mpc_bus {            /* entry type 1 */
    uint8_t type, busid;
    char bustype[6];
};
struct __attribute__((packed)) mpc_ioapic {         /* entry type 2 */
    uint8_t type, apicid, apicver, flags;
    uint32_t apicaddr;
};
struct __attribute__((packed)) mpc_intsrc {         /* entry types 3 (IOAPIC) and 4 (local APIC) */
    uint8_t type, irqtype;
    uint16_t irqflag;          /* polarity bits 0-1, trigger bits 2-3 */
    uint8_t srcbus, srcbusirq, dstapic, dstirq;
};

_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer is 16 bytes");
_Static_assert(sizeof(struct mpc_table) == 44, "MP config header is 44 bytes");
_Static_assert(sizeof(struct mpc_cpu) == 20, "processor entry is 20 bytes");

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
#define CPU_ENABLED    1
#define CPU_BOOTPROC   2
#define MP_PCI_BUS     1       /* MP bus id of PCI bus 0 (the ISA bus is 0) */
#define IRQ_LEVEL_HIGH 0x0d    /* trigger level (3<<2), polarity active high (1) */

static void put(uint8_t *buf, size_t *off, const void *e, size_t len)
{
    memcpy(buf + *off, e, len);
    *off += len;
}

uint8_t boot_ioapic_id(const uint8_t *apic_ids, int ncpus)
{
    return (uint8_t)(apic_ids[ncpus - 1] + 1);
}

int mptable_build(uint8_t *buf, size_t cap, uint32_t base, const uint8_t *apic_ids, int ncpus)
{
    if (ncpus < 1 || ncpus > 254 || apic_ids[ncpus - 1] >= 254)
        return -EINVAL;
    int nirq = 16, npci = PCI_INTX_SLOTS * 4;
    size_t need = sizeof(struct mpf_intel) + sizeof(struct mpc_table) + ncpus * sizeof(struct mpc_cpu) +
                  2 * sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
                  (size_t)(nirq + 2 + npci) * sizeof(struct mpc_intsrc);
    if (need > cap)
        return -ENOSPC;
    memset(buf, 0, need);

    size_t off = sizeof(struct mpf_intel);
    struct mpc_table hdr = { .signature = "PCMP", .spec = 4, .lapic = LAPIC_ADDR };
    memcpy(hdr.oem, "VMON    ", 8);
    memcpy(hdr.productid, "VMON PC     ", 12);
    size_t hdr_off = off;
    off += sizeof(hdr);
    int count = 0;

    uint8_t ioapic_id = boot_ioapic_id(apic_ids, ncpus);   /* as the MADT says too */
    for (int i = 0; i < ncpus; i++) {
        struct mpc_cpu c = { .type = MP_PROCESSOR, .apicid = apic_ids[i], .apicver = 0x14,
                             .cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROC : 0),
                             .cpufeature = 0x600, .featureflag = 0x201 };  /* family 6; FPU, APIC */
        put(buf, &off, &c, sizeof(c));
        count++;
    }
    struct mpc_bus bus = { .type = MP_BUS, .busid = 0, .bustype = "ISA   " };
    put(buf, &off, &bus, sizeof(bus));
    struct mpc_bus pci = { .type = MP_BUS, .busid = MP_PCI_BUS, .bustype = "PCI   " };
    put(buf, &off, &pci, sizeof(pci));
    count++;
    struct mpc_ioapic io = { .type = MP_IOAPIC, .apicid = ioapic_id, .apicver = 0x20, .flags = 1,
                             .apicaddr = IOAPIC_ADDR };
    put(buf, &off, &io, sizeof(io));
    count += 2;

    /* ISA IRQ n arrives on IOAPIC pin n, except the PIT's IRQ 0 on pin 2 (pin 0 carries the 8259's
     * ExtINT output, as on every PC chipset); the ACPI SCI is level-triggered, active high. */
    struct mpc_intsrc ext = { .type = MP_INTSRC, .irqtype = MP_EXTINT, .srcbus = 0, .srcbusirq = 0,
                              .dstapic = ioapic_id, .dstirq = 0 };
    put(buf, &off, &ext, sizeof(ext));
    count++;
    for (int irq = 0; irq < nirq; irq++) {
        if (irq == 2)
            continue;
        struct mpc_intsrc s = { .type = MP_INTSRC, .irqtype = MP_INT, .srcbus = 0,
                                .srcbusirq = (uint8_t)irq, .dstapic = ioapic_id,
                                .dstirq = (uint8_t)(irq == 0 ? 2 : irq),
                                .irqflag = irq == ACPI_SCI_IRQ ? IRQ_LEVEL_HIGH : 0 };
        put(buf, &off, &s, sizeof(s));
        count++;
    }
    /* PCI bus 0 (MP bus MP_PCI_BUS): slot s, pin p (source irq s << 2 | p) on the GSI the DSDT's
     * _PRT names; flags 0 (conforming: level, active low, as PCI INTx# is). */
    for (int i = 0; i < npci; i++) {
        struct mpc_intsrc s = { .type = MP_INTSRC, .irqtype = MP_INT, .srcbus = MP_PCI_BUS,
                                .srcbusirq = (uint8_t)i, .dstapic = ioapic_id,
                                .dstirq = (uint8_t)pci_intx_gsi((unsigned)i >> 2, (unsigned)i & 3) };
        put(buf, &off, &s, sizeof(s));
        count++;
    }
    /* Local interrupts: LINT0 ExtINT (virtual wire mode), LINT1 NMI, to all local APICs. */
    struct mpc_intsrc l0 = { .type = MP_LINTSRC, .irqtype = MP_EXTINT, .dstapic = 0xff, .dstirq = 0 };
    struct mpc_intsrc l1 = { .type = MP_LINTSRC, .irqtype = MP_NMI, .dstapic = 0xff, .dstirq = 1 };
    put(buf, &off, &l0, sizeof(l0));
    put(buf, &off, &l1, sizeof(l1));
    count += 2;

    hdr.length = (uint16_t)(off - hdr_off);
    hdr.oemcount = (uint16_t)count;
    memcpy(buf + hdr_off, &hdr, sizeof(hdr));
    buf[hdr_off + offsetof(struct mpc_table, checksum)] = acpi_checksum(buf + hdr_off, hdr.length);

    struct mpf_intel mpf = { .signature = "_MP_", .physptr = base + (uint32_t)hdr_off, .length = 1,
                             .specification = 4 };
    memcpy(buf, &mpf, sizeof(mpf));
    buf[offsetof(struct mpf_intel, checksum)] = acpi_checksum(buf, sizeof(mpf));
    return (int)off;
}
