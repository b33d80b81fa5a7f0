/* Unit tests: the boot structures' layouts against the specs' offsets, the e820 map, and the MP and
 * ACPI tables (checksums, and the MADT listing one local APIC per CPU). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/bootparam.h"
#include "boot/loader.h"
#include "boot/multiboot.h"
#include "boot/pvh.h"
#include "mm/memory.h"

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--)
        s += *p++;
    return s;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Documentation/arch/x86/boot.rst "The real-mode kernel header" table, field by field. */
static void test_setup_header_offsets(void **state)
{
    (void)state;
#define AT(field, off) assert_int_equal(offsetof(struct boot_params, hdr) + \
                                        offsetof(struct setup_header, field), off)
    AT(setup_sects, 0x1f1); AT(root_flags, 0x1f2); AT(syssize, 0x1f4); AT(ram_size, 0x1f8);
    AT(vid_mode, 0x1fa); AT(root_dev, 0x1fc); AT(boot_flag, 0x1fe); AT(jump, 0x200);
    AT(header, 0x202); AT(version, 0x206); AT(realmode_swtch, 0x208); AT(start_sys_seg, 0x20c);
    AT(kernel_version, 0x20e); AT(type_of_loader, 0x210); AT(loadflags, 0x211);
    AT(setup_move_size, 0x212); AT(code32_start, 0x214); AT(ramdisk_image, 0x218);
    AT(ramdisk_size, 0x21c); AT(bootsect_kludge, 0x220); AT(heap_end_ptr, 0x224);
    AT(ext_loader_ver, 0x226); AT(ext_loader_type, 0x227); AT(cmd_line_ptr, 0x228);
    AT(initrd_addr_max, 0x22c); AT(kernel_alignment, 0x230); AT(relocatable_kernel, 0x234);
    AT(min_alignment, 0x235); AT(xloadflags, 0x236); AT(cmdline_size, 0x238);
    AT(hardware_subarch, 0x23c); AT(hardware_subarch_data, 0x240); AT(payload_offset, 0x248);
    AT(payload_length, 0x24c); AT(setup_data, 0x250); AT(pref_address, 0x258);
    AT(init_size, 0x260); AT(handover_offset, 0x264); AT(kernel_info_offset, 0x268);
#undef AT
}

/* Documentation/arch/x86/zero-page.rst. */
static void test_boot_params_offsets(void **state)
{
    (void)state;
    assert_int_equal(offsetof(struct boot_params, apm_bios_info), 0x040);
    assert_int_equal(offsetof(struct boot_params, tboot_addr), 0x058);
    assert_int_equal(offsetof(struct boot_params, ist_info), 0x060);
    assert_int_equal(offsetof(struct boot_params, acpi_rsdp_addr), 0x070);
    assert_int_equal(offsetof(struct boot_params, hd0_info), 0x080);
    assert_int_equal(offsetof(struct boot_params, sys_desc_table), 0x0a0);
    assert_int_equal(offsetof(struct boot_params, ext_ramdisk_image), 0x0c0);
    assert_int_equal(offsetof(struct boot_params, ext_cmd_line_ptr), 0x0c8);
    assert_int_equal(offsetof(struct boot_params, cc_blob_address), 0x13c);
    assert_int_equal(offsetof(struct boot_params, edid_info), 0x140);
    assert_int_equal(offsetof(struct boot_params, efi_info), 0x1c0);
    assert_int_equal(offsetof(struct boot_params, alt_mem_k), 0x1e0);
    assert_int_equal(offsetof(struct boot_params, e820_entries), 0x1e8);
    assert_int_equal(offsetof(struct boot_params, sentinel), 0x1ef);
    assert_int_equal(offsetof(struct boot_params, edd_mbr_sig_buffer), 0x290);
    assert_int_equal(offsetof(struct boot_params, e820_table), 0x2d0);
    assert_int_equal(offsetof(struct boot_params, eddbuf), 0xd00);
    assert_int_equal(sizeof(struct boot_params), 4096);
    /* e820 entries are packed 20-byte records: the second starts at 0x2d0 + 20. */
    assert_int_equal(offsetof(struct boot_params, e820_table[1]), 0x2d0 + 20);
}

/* Multiboot 0.6.96 section 3.3 and Xen's start_info.h. */
static void test_multiboot_and_pvh_layout(void **state)
{
    (void)state;
    assert_int_equal(offsetof(struct multiboot_info, mem_lower), 4);
    assert_int_equal(offsetof(struct multiboot_info, mem_upper), 8);
    assert_int_equal(offsetof(struct multiboot_info, cmdline), 16);
    assert_int_equal(offsetof(struct multiboot_info, mods_count), 20);
    assert_int_equal(offsetof(struct multiboot_info, mods_addr), 24);
    assert_int_equal(offsetof(struct multiboot_info, mmap_length), 44);
    assert_int_equal(offsetof(struct multiboot_info, mmap_addr), 48);
    assert_int_equal(offsetof(struct multiboot_info, boot_loader_name), 64);
    assert_int_equal(offsetof(struct multiboot_info, vbe_mode), 80);
    assert_int_equal(sizeof(struct multiboot_mod), 16);
    assert_int_equal(offsetof(struct multiboot_mmap, addr), 4);
    assert_int_equal(offsetof(struct multiboot_mmap, len), 12);
    assert_int_equal(offsetof(struct multiboot_mmap, type), 20);
    assert_int_equal(offsetof(struct multiboot_header, header_addr), 12);
    assert_int_equal(offsetof(struct multiboot_header, entry_addr), 28);
    assert_int_equal(offsetof(struct hvm_start_info, nr_modules), 12);
    assert_int_equal(offsetof(struct hvm_start_info, modlist_paddr), 16);
    assert_int_equal(offsetof(struct hvm_start_info, cmdline_paddr), 24);
    assert_int_equal(offsetof(struct hvm_start_info, rsdp_paddr), 32);
    assert_int_equal(offsetof(struct hvm_start_info, memmap_paddr), 40);
    assert_int_equal(offsetof(struct hvm_start_info, memmap_entries), 48);
}

static void test_e820_small(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(guest_mem_init(&m, 64 << 20), 0);
    struct e820_entry e[8];
    int n = e820_build(&m, e, 8);
    assert_int_equal(n, 4);
    assert_int_equal(e[0].addr, 0);
    assert_int_equal(e[0].size, 0x9fc00);
    assert_int_equal(e[0].type, E820_RAM);
    assert_int_equal(e[1].addr, 0x9fc00);
    assert_int_equal(e[1].addr + e[1].size, 0x100000);
    assert_int_equal(e[1].type, E820_RESERVED);
    assert_int_equal(e[2].addr, 0x100000);
    assert_int_equal(e[2].addr + e[2].size, 64 << 20);
    assert_int_equal(e[2].type, E820_RAM);
    assert_int_equal(e[3].addr, PCI_ECAM_BASE);         /* the MCFG window, reserved */
    assert_int_equal(e[3].size, PCI_ECAM_SIZE);
    assert_int_equal(e[3].type, E820_RESERVED);
    guest_mem_destroy(&m);
}

/* RAM beyond the PCI hole's start is reported above 4 GiB, and the hole itself is not RAM. */
static void test_e820_split(void **state)
{
    (void)state;
    struct guest_mem m;
    uint64_t size = PCI_HOLE_START + (256ull << 20);
    assert_int_equal(guest_mem_init(&m, size), 0);
    struct e820_entry e[8];
    int n = e820_build(&m, e, 8);
    assert_int_equal(n, 5);
    assert_int_equal(e[2].addr + e[2].size, PCI_HOLE_START);
    assert_int_equal(e[3].addr, PCI_ECAM_BASE);          /* in address order */
    assert_int_equal(e[3].type, E820_RESERVED);
    assert_int_equal(e[4].addr, PCI_HOLE_END);
    assert_int_equal(e[4].size, 256ull << 20);
    uint64_t ram = 0;
    for (int i = 0; i < n; i++)
        if (e[i].type == E820_RAM)
            ram += e[i].size;
    assert_int_equal(ram, size - (0x100000 - 0x9fc00));
    /* A short output array is respected. */
    assert_int_equal(e820_build(&m, e, 2), 2);
    guest_mem_destroy(&m);
}

/* APIC ids 0..63, and those of -smp 6,sockets=2,cores=3 (core ids rounded up to 2 bits). */
static const uint8_t *ident_ids(void)
{
    static uint8_t ids[64];
    for (int i = 0; i < 64; i++)
        ids[i] = (uint8_t)i;
    return ids;
}
static const uint8_t gapped_ids[6] = { 0, 1, 2, 4, 5, 6 };

static void test_mptable(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    const uint8_t *ids = ident_ids();
    for (int ncpus = 1; ncpus <= 64; ncpus *= 4) {
        int len = mptable_build(buf, sizeof(buf), 0xf0000, ids, ncpus);
        assert_true(len > 0);
        assert_memory_equal(buf, "_MP_", 4);
        assert_int_equal(sum8(buf, 16), 0);
        assert_int_equal(buf[8], 1);                 /* length in paragraphs */
        assert_int_equal(buf[9], 4);                 /* spec 1.4 */
        uint32_t table = rd32(buf + 4);
        assert_true(table >= 0xf0000 + 16);
        const uint8_t *t = buf + (table - 0xf0000);
        assert_memory_equal(t, "PCMP", 4);
        uint16_t tlen = (uint16_t)(t[4] | t[5] << 8);
        assert_int_equal(sum8(t, tlen), 0);
        assert_int_equal(rd32(t + 36), 0xfee00000);
        /* Entries: walk them and count processors, with the BSP flag only on APIC id 0. */
        uint16_t count = (uint16_t)(t[34] | t[35] << 8);
        const uint8_t *e = t + 44;
        int cpus = 0, ioapics = 0, intsrc = 0, pci = 0, buses = 0;
        for (int i = 0; i < count; i++) {
            switch (e[0]) {
            case 0:
                assert_int_equal(e[1], cpus);
                assert_int_equal(e[3] & 2, cpus == 0 ? 2 : 0);
                cpus++;
                e += 20;
                break;
            case 2:
                assert_int_equal(e[1], ncpus);       /* IOAPIC id after the CPUs */
                assert_int_equal(rd32(e + 4), 0xfec00000);
                ioapics++;
                e += 8;
                break;
            case 1:
                assert_memory_equal(e + 2, buses ? "PCI   " : "ISA   ", 6);
                assert_int_equal(e[1], buses++);
                e += 8;
                break;
            case 3:
                if (e[1] == 0 && e[4] == 0 && e[5] == 0)    /* ISA IRQ 0 goes to pin 2 */
                    assert_int_equal(e[7], 2);
                if (e[4] == 1) {                     /* PCI: slot 2 INTA and slot 3 INTB */
                    if (e[5] == (2 << 2))
                        assert_int_equal(e[7], 11);
                    if (e[5] == (3 << 2 | 1))
                        assert_int_equal(e[7], 10);
                    pci++;
                } else {
                    intsrc++;
                }
                e += 8;
                break;
            default:
                e += 8;
            }
        }
        assert_int_equal(e - t, tlen);
        assert_int_equal(cpus, ncpus);
        assert_int_equal(ioapics, 1);
        assert_int_equal(intsrc, 16);                /* ExtINT + 15 ISA IRQs */
        assert_int_equal(pci, 128);                  /* 32 slots x INTA-D */
        assert_int_equal(buses, 2);
    }
    assert_int_equal(mptable_build(buf, 64, 0xf0000, ids, 4), -ENOSPC);
    assert_int_equal(mptable_build(buf, sizeof(buf), 0xf0000, ids, 0), -EINVAL);
    /* A topology with gaps: the processor entries carry the ids, the IOAPIC the one after. */
    int len = mptable_build(buf, sizeof(buf), 0xf0000, gapped_ids, 6);
    assert_true(len > 0);
    const uint8_t *t = buf + (rd32(buf + 4) - 0xf0000), *e = t + 44;
    for (int i = 0; i < 6; i++, e += 20) {
        assert_int_equal(e[0], 0);
        assert_int_equal(e[1], gapped_ids[i]);
    }
    e += 16;                                         /* the ISA and PCI buses */
    assert_int_equal(e[0], 2);
    assert_int_equal(e[1], 7);
    assert_int_equal(boot_ioapic_id(gapped_ids, 6), 7);
}

/* Find an SDT by signature through the RSDP -> XSDT; checks every checksum on the way. */
static const uint8_t *acpi_find(const uint8_t *buf, uint32_t base, const char *sig)
{
    const uint8_t *rsdp = buf;
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_int_equal(sum8(rsdp, 20), 0);
    assert_int_equal(rd32(rsdp + 20), 36);
    assert_int_equal(sum8(rsdp, 36), 0);
    assert_int_equal(rsdp[15], 2);
    const uint8_t *xsdt = buf + (rd64(rsdp + 24) - base);
    assert_memory_equal(xsdt, "XSDT", 4);
    assert_int_equal(sum8(xsdt, rd32(xsdt + 4)), 0);
    const uint8_t *rsdt = buf + (rd32(rsdp + 16) - base);
    assert_memory_equal(rsdt, "RSDT", 4);
    assert_int_equal(sum8(rsdt, rd32(rsdt + 4)), 0);
    uint32_t n = (rd32(xsdt + 4) - 36) / 8;
    assert_int_equal((rd32(rsdt + 4) - 36) / 4, n);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *t = buf + (rd64(xsdt + 36 + 8 * i) - base);
        assert_int_equal(rd32(rsdt + 36 + 4 * i), rd64(xsdt + 36 + 8 * i));
        assert_int_equal(sum8(t, rd32(t + 4)), 0);
        if (!memcmp(t, sig, 4))
            return t;
    }
    return NULL;
}

static void test_acpi_fadt_dsdt(void **state)
{
    (void)state;
    static uint8_t buf[0x10000];
    const uint32_t base = 0xe0000;
    assert_true(acpi_build(buf, sizeof(buf), base, ident_ids(), 1, 0) > 0);
    const uint8_t *f = acpi_find(buf, base, "FACP");
    assert_non_null(f);
    assert_int_equal(rd32(f + 4), 276);
    assert_int_equal(f[8], 6);                                  /* revision */
    assert_int_equal(f[46] | f[47] << 8, 9);                    /* SCI_INT */
    assert_int_equal(rd32(f + 48), 0);                          /* SMI_CMD: always in ACPI mode */
    assert_int_equal(rd32(f + 56), 0x600);                      /* PM1a_EVT_BLK */
    assert_int_equal(rd32(f + 64), 0x604);                      /* PM1a_CNT_BLK */
    assert_int_equal(rd32(f + 76), 0x608);                      /* PM_TMR_BLK */
    assert_int_equal(f[88], 4);
    assert_int_equal(f[89], 2);
    assert_int_equal(f[91], 4);
    assert_true(rd32(f + 112) & (1u << 10));                    /* RESET_REG_SUP */
    assert_false(rd32(f + 112) & (1u << 20));                   /* not HW_REDUCED_ACPI */
    assert_int_equal(f[116], 1);                                /* RESET_REG in system I/O */
    assert_int_equal(rd64(f + 120), 0xcf9);
    assert_int_equal(f[128], 6);                                /* RESET_VALUE */
    assert_int_equal(f[172], 1);                                /* X_PM1a_CNT_BLK: I/O */
    assert_int_equal(rd64(f + 172 + 4), 0x604);
    /* FACS: 64-byte aligned, 64 bytes. */
    uint32_t facs = rd32(f + 36);
    assert_int_equal(facs % 64, 0);
    assert_int_equal(rd64(f + 132), 0);                        /* X_FIRMWARE_CTRL unused */
    assert_memory_equal(buf + (facs - base), "FACS", 4);
    /* DSDT: valid checksum and the \_S5 package {5, 5, 0, 0}. */
    uint32_t dsdt = rd32(f + 40);
    assert_int_equal(rd64(f + 140), dsdt);
    const uint8_t *d = buf + (dsdt - base);
    assert_memory_equal(d, "DSDT", 4);
    assert_int_equal(sum8(d, rd32(d + 4)), 0);
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0, 0 };
    assert_true(rd32(d + 4) > 36 + sizeof(s5));
    assert_memory_equal(d + 36, s5, sizeof(s5));
    /* Then Scope(\_SB) { Device(PCI0) { _HID PNP0A03, _UID 0, _CRS, _PRT } }. */
    const uint8_t *sc = d + 36 + sizeof(s5);
    assert_int_equal(sc[0], 0x10);
    assert_int_equal(sc[1] >> 6, 1);                            /* a 2-byte PkgLength */
    assert_int_equal((sc[1] & 0xf) | sc[2] << 4, rd32(d + 4) - 36 - sizeof(s5) - 1);
    assert_memory_equal(sc + 3, "\\_SB_\x5b\x82", 7);
    assert_memory_equal(sc + 12, "PCI0\x08_HID\x0c\x41\xd0\x0a\x03\x08_UID\x00", 20);
    /* _CRS: a buffer of 6 descriptors and the end tag (16 + 8 + 16 + 16 + 26 + 26 + 2 bytes). */
    assert_memory_equal(sc + 32, "\x08_CRS\x11", 6);
    const uint8_t *crs = sc + 38 + (sc[38] >> 6) + 1;
    assert_int_equal(crs[0], 0x0a);
    assert_int_equal(crs[1], 110);
    assert_memory_equal(crs + 2 + 108, "\x79\x00", 2);
    assert_int_equal(rd32(crs + 2 + 82 + 10), 0xc0000000);      /* the hole's window */
    const uint8_t *p = crs + 2 + 110;
    assert_memory_equal(p, "\x08_PRT\x12", 6);
    p += 6 + 2;                                                  /* a 2-byte PkgLength */
    assert_int_equal(p[0], 128);                                 /* 32 slots x 4 pins */
    /* First entry: Package(4){0x0000FFFF, Zero, Zero, 10}; slot 2 INTA is 11. */
    static const uint8_t e0[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0, 0, 0, 0, 0x0a, 10 };
    assert_memory_equal(p + 1, e0, sizeof(e0));
    assert_int_equal(pci_intx_gsi(2, 0), 11);
    assert_int_equal(pci_intx_gsi(3, 1), 10);
    /* HPET at its MMIO address. */
    const uint8_t *h = acpi_find(buf, base, "HPET");
    assert_non_null(h);
    assert_int_equal(rd64(h + 44), 0xfed00000);
    /* MCFG: one ECAM window, segment 0, buses 0-255. */
    const uint8_t *mc = acpi_find(buf, base, "MCFG");
    assert_non_null(mc);
    assert_int_equal(rd32(mc + 4), 36 + 8 + 16);
    assert_int_equal(rd64(mc + 44), PCI_ECAM_BASE);
    assert_int_equal(mc[52] | mc[53] << 8, 0);
    assert_int_equal(mc[54], 0);
    assert_int_equal(mc[55], 255);
}

static void test_acpi_madt(void **state)
{
    (void)state;
    static uint8_t buf[0x10000];
    const uint32_t base = 0xe0000;
    for (int ncpus = 1; ncpus <= 64 + 6; ncpus = ncpus == 63 ? 70 : ncpus * 2 + 1) {
        bool gapped = ncpus == 70;                  /* last: -smp 6,sockets=2,cores=3 */
        const uint8_t *ids = gapped ? gapped_ids : ident_ids();
        int n = gapped ? 6 : ncpus;
        assert_true(acpi_build(buf, sizeof(buf), base, ids, n, 0) > 0);
        const uint8_t *m = acpi_find(buf, base, "APIC");
        assert_non_null(m);
        assert_int_equal(rd32(m + 36), 0xfee00000);
        uint32_t len = rd32(m + 4);
        int lapics = 0, ioapics = 0, isos = 0, nmis = 0;
        for (uint32_t off = 44; off < len; off += m[off + 1]) {
            const uint8_t *e = m + off;
            assert_true(e[1] >= 2);
            switch (e[0]) {
            case 0:
                assert_int_equal(e[1], 8);
                assert_int_equal(e[2], lapics);     /* processor UID: the index */
                assert_int_equal(e[3], ids[lapics]);
                assert_int_equal(rd32(e + 4) & 1, 1);
                lapics++;
                break;
            case 1:
                assert_int_equal(e[2], ids[n - 1] + 1);
                assert_int_equal(rd32(e + 4), 0xfec00000);
                assert_int_equal(rd32(e + 8), 0);
                ioapics++;
                break;
            case 2:
                if (e[3] == 0)
                    assert_int_equal(rd32(e + 4), 2);   /* IRQ 0 -> GSI 2 */
                isos++;
                break;
            case 4:
                assert_int_equal(e[5], 1);              /* LINT1 */
                nmis++;
                break;
            default:
                fail_msg("unexpected MADT entry type %u", e[0]);
            }
        }
        assert_int_equal(lapics, n);
        assert_int_equal(ioapics, 1);
        assert_int_equal(isos, 2);
        assert_int_equal(nmis, 1);
    }
    assert_int_equal(acpi_build(buf, 100, base, ident_ids(), 1, 0), -ENOSPC);
}

/* virtio-mmio devices in the DSDT: _HID "LNRO0005", their windows and GSIs in _CRS. */
static void test_acpi_virtio_mmio(void **state)
{
    (void)state;
    static uint8_t buf[0x10000];
    const uint32_t base = 0xe0000;
    assert_int_equal(acpi_build(buf, sizeof(buf), base, ident_ids(), 1, VIRTIO_MMIO_MAX + 1), -EINVAL);
    assert_true(acpi_build(buf, sizeof(buf), base, ident_ids(), 1, 2) > 0);
    const uint8_t *f = acpi_find(buf, base, "FACP");
    const uint8_t *d = buf + (rd32(f + 40) - base);
    uint32_t len = rd32(d + 4);
    assert_int_equal(sum8(d, len), 0);
    const uint8_t *p = memmem(d, len, "VR00\x08_HID\x0dLNRO0005", 19);
    assert_non_null(p);
    const uint8_t *q = memmem(p, len - (size_t)(p - d), "VR01\x08_HID\x0dLNRO0005", 19);
    assert_non_null(q);
    assert_null(memmem(d, len, "VR02", 4));
    /* Device 1: Memory32Fixed at base + 0x200, 0x200 bytes; Interrupt GSI 17, level, high. */
    const uint8_t *m = memmem(q, len - (size_t)(q - d), "\x86\x09\x00\x01", 4);
    assert_non_null(m);
    assert_int_equal(rd32(m + 4), VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE);
    assert_int_equal(rd32(m + 8), VIRTIO_MMIO_STRIDE);
    static const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x01, 0x01, 17, 0, 0, 0, 0x79, 0x00 };
    assert_memory_equal(m + 12, irq, sizeof(irq));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_header_offsets),
        cmocka_unit_test(test_boot_params_offsets),
        cmocka_unit_test(test_multiboot_and_pvh_layout),
        cmocka_unit_test(test_e820_small),
        cmocka_unit_test(test_e820_split),
        cmocka_unit_test(test_mptable),
        cmocka_unit_test(test_acpi_fadt_dsdt),
        cmocka_unit_test(test_acpi_madt), cmocka_unit_test(test_acpi_virtio_mmio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
