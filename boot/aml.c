/* AML encoding (ACPI 6.x, 20.2) for the DSDT's PCI root bridge (with the PS/2 keyboard) and virtio-mmio devices: PkgLength (20.2.4), NameOp,
 * PackageOp, DeviceOp, ScopeOp, and integer constants in their shortest form (20.2.3). */
#include "boot/aml.h"

#include <string.h>

#include "boot/loader.h"

/* A bounded write cursor: an overflow marks it failed, nothing is written past cap. */
struct aml_buf {
    uint8_t *p;
    size_t len, cap;
    int failed;
};

static void put(struct aml_buf *b, const void *src, size_t n)
{
    if (b->failed || n > b->cap - b->len) {
        b->failed = 1;
        return;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put8(struct aml_buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_int(struct aml_buf *b, uint32_t v)
{
    if (v <= 1) {
        put8(b, (uint8_t)v);           /* ZeroOp, OneOp */
    } else if (v <= 0xff) {
        put8(b, 0x0a);                 /* BytePrefix */
        put8(b, (uint8_t)v);
    } else {
        uint8_t d[5] = { 0x0c, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
        put(b, d, sizeof(d));          /* DWordPrefix */
    }
}

/* Open a PkgLength-prefixed object: reserve 3 length bytes (enough for 1 MiB), fixed in close. */
static size_t open_pkg(struct aml_buf *b)
{
    size_t at = b->len;
    put(b, "\0\0\0", 3);
    return at;
}

/* PkgLength counts its own bytes; shrink the reservation to the encoding the length needs. */
static void close_pkg(struct aml_buf *b, size_t at)
{
    if (b->failed)
        return;
    size_t body = b->len - at - 3;
    size_t nbytes = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2 : 3;
    size_t total = body + nbytes;
    uint8_t enc[3];
    if (nbytes == 1) {
        enc[0] = (uint8_t)total;
    } else {
        enc[0] = (uint8_t)((nbytes - 1) << 6 | (total & 0xf));
        enc[1] = (uint8_t)(total >> 4);
        enc[2] = (uint8_t)(total >> 12);
    }
    memmove(b->p + at + nbytes, b->p + at + 3, body);
    memcpy(b->p + at, enc, nbytes);
    b->len = at + nbytes + body;
}

/* Package(){ 0xSSSSFFFF, pin, Zero, gsi } for each slot and pin: 128 entries. */
static void prt(struct aml_buf *b)
{
    put8(b, 0x08);                     /* NameOp */
    put(b, "_PRT", 4);
    put8(b, 0x12);                     /* PackageOp */
    size_t outer = open_pkg(b);
    put8(b, PCI_INTX_SLOTS * 4);       /* NumElements */
    for (unsigned slot = 0; slot < PCI_INTX_SLOTS; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            put8(b, 0x12);
            size_t e = open_pkg(b);
            put8(b, 4);
            put_int(b, slot << 16 | 0xffff);
            put_int(b, pin);
            put_int(b, 0);
            put_int(b, pci_intx_gsi(slot, pin));
            close_pkg(b, e);
        }
    }
    close_pkg(b, outer);
}

static void put16(struct aml_buf *b, uint16_t v)
{
    put8(b, (uint8_t)v);
    put8(b, (uint8_t)(v >> 8));
}

static void put32(struct aml_buf *b, uint32_t v)
{
    put16(b, (uint16_t)v);
    put16(b, (uint16_t)(v >> 16));
}

/* Word Address Space Descriptor (6.4.3.5.3): a bus-number (type 2) or I/O (type 1) window the
 * bridge produces, fixed at [min, max]. */
static void word_space(struct aml_buf *b, uint8_t type, uint8_t flags, uint16_t min, uint16_t max)
{
    put8(b, 0x88);
    put16(b, 13);
    put8(b, type);
    put8(b, 0x0c);                     /* producer, MinFixed, MaxFixed, positive decode */
    put8(b, flags);
    put16(b, 0);                       /* granularity */
    put16(b, min);
    put16(b, max);
    put16(b, 0);                       /* translation */
    put16(b, (uint16_t)(max - min + 1));
}

/* DWord Memory Descriptor (6.4.3.5.2): read-write, cacheable, fixed at [min, max]. */
static void dword_mem(struct aml_buf *b, uint32_t min, uint32_t max)
{
    put8(b, 0x87);
    put16(b, 23);
    put8(b, 0);                        /* memory range */
    put8(b, 0x0c);
    put8(b, 0x03);
    put32(b, 0);
    put32(b, min);
    put32(b, max);
    put32(b, 0);
    put32(b, max - min + 1);
}

/* _CRS: bus 0-255, the config ports (consumed), I/O around them, the VGA window and the 32-bit
 * PCI hole up to the IOAPIC, where the board places memory BARs. */
static void crs(struct aml_buf *b)
{
    put8(b, 0x08);
    put(b, "_CRS", 4);
    put8(b, 0x11);                     /* BufferOp */
    size_t buf = open_pkg(b);
    put8(b, 0x0a);
    size_t size_at = b->len;
    put8(b, 0);                        /* BufferSize, fixed below */
    size_t start = b->len;
    word_space(b, 2, 0, 0, 0xff);
    put(b, "\x47\x01\xf8\x0c\xf8\x0c\x01\x08", 8);   /* IO(Decode16, 0xcf8, 0xcf8, 1, 8) */
    word_space(b, 1, 0x03, 0x0000, 0x0cf7);
    word_space(b, 1, 0x03, 0x0d00, 0xffff);
    dword_mem(b, 0x000a0000, 0x000bffff);
    dword_mem(b, PCI_MMIO_START, PCI_MMIO_END - 1);
    put(b, "\x79\x00", 2);            /* End Tag */
    if (!b->failed)
        b->p[size_at] = (uint8_t)(b->len - start);
    close_pkg(b, buf);
}

/* The i8042's keyboard (PNP0303) on ports 0x60/0x64 and IRQ 1, as a PC's DSDT lists it: SeaBIOS
 * sets up its PS/2 keyboard only when the DSDT has one, and Linux's i8042 finds it through it. */
static void kbd(struct aml_buf *b)
{
    put(b, "\x5b\x82", 2);            /* DeviceOp */
    size_t dev = open_pkg(b);
    put(b, "KBD_", 4);
    put8(b, 0x08);
    put(b, "_HID", 4);
    put_int(b, 0x0303d041);            /* EisaId("PNP0303") */
    put8(b, 0x08);
    put(b, "_CRS", 4);
    put8(b, 0x11);                     /* BufferOp */
    size_t buf = open_pkg(b);
    put8(b, 0x0a);
    put8(b, 8 + 8 + 3 + 2);            /* BufferSize */
    put(b, "\x47\x01\x60\x00\x60\x00\x01\x01", 8);   /* IO(Decode16, 0x60, 0x60, 1, 1) */
    put(b, "\x47\x01\x64\x00\x64\x00\x01\x01", 8);   /* IO(Decode16, 0x64, 0x64, 1, 1) */
    put(b, "\x22\x02\x00", 3);       /* IRQNoFlags(){1} */
    put(b, "\x79\x00", 2);            /* End Tag */
    close_pkg(b, buf);
    close_pkg(b, dev);
}

size_t aml_pci0(uint8_t *out, size_t cap)
{
    struct aml_buf b = { .p = out, .cap = cap };
    put8(&b, 0x10);                    /* ScopeOp */
    size_t scope = open_pkg(&b);
    put(&b, "\\_SB_", 5);
    put(&b, "\x5b\x82", 2);            /* DeviceOp */
    size_t dev = open_pkg(&b);
    put(&b, "PCI0", 4);
    put8(&b, 0x08);
    put(&b, "_HID", 4);
    put_int(&b, 0x030ad041);           /* EisaId("PNP0A03"), the PCI root bridge */
    put8(&b, 0x08);
    put(&b, "_UID", 4);
    put_int(&b, 0);
    crs(&b);
    prt(&b);
    kbd(&b);
    close_pkg(&b, dev);
    close_pkg(&b, scope);
    return b.failed ? 0 : b.len;
}

/* _CRS of virtio-mmio device i: Memory32Fixed (6.4.3.4) and an Extended Interrupt (6.4.3.6). */
static void mmio_crs(struct aml_buf *b, unsigned i)
{
    put8(b, 0x08);
    put(b, "_CRS", 4);
    put8(b, 0x11);                     /* BufferOp */
    size_t buf = open_pkg(b);
    put8(b, 0x0a);
    put8(b, 12 + 9 + 2);               /* BufferSize */
    put8(b, 0x86);                     /* Memory32Fixed, 9 bytes, read-write */
    put16(b, 9);
    put8(b, 1);
    put32(b, VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STRIDE);
    put32(b, VIRTIO_MMIO_STRIDE);
    put8(b, 0x89);                     /* Extended Interrupt, 6 bytes */
    put16(b, 6);
    put8(b, 0x01);                     /* consumer, level, active-high, exclusive */
    put8(b, 1);
    put32(b, VIRTIO_MMIO_GSI + i);
    put(b, "\x79\x00", 2);            /* End Tag */
    close_pkg(b, buf);
}

size_t aml_virtio_mmio(uint8_t *out, size_t cap, int n)
{
    struct aml_buf b = { .p = out, .cap = cap };
    put8(&b, 0x10);                    /* ScopeOp */
    size_t scope = open_pkg(&b);
    put(&b, "\\_SB_", 5);
    for (int i = 0; i < n && i < VIRTIO_MMIO_MAX; i++) {
        char name[5] = { 'V', 'R', '0', (char)('0' + i), 0 };
        put(&b, "\x5b\x82", 2);        /* DeviceOp */
        size_t dev = open_pkg(&b);
        put(&b, name, 4);
        put8(&b, 0x08);
        put(&b, "_HID", 4);
        put8(&b, 0x0d);                /* StringPrefix */
        put(&b, "LNRO0005", 9);
        put8(&b, 0x08);
        put(&b, "_UID", 4);
        put_int(&b, (uint32_t)i);
        mmio_crs(&b, (unsigned)i);
        close_pkg(&b, dev);
    }
    close_pkg(&b, scope);
    return b.failed ? 0 : b.len;
}
