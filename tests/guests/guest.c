/* The test guests' runtime and the tests every entry path runs, chosen by "test=" on the cmdline:
 *   (none)    print the entry, the cmdline and its FNV-1a/CRC, then power off through ACPI
 *   mmio      read and write an address nothing backs (reads must give all-ones)
 *   reset     reset through the i8042 (0xfe to port 0x64)
 *   reset-port92  reset through System Control Port A (bit 0 of port 0x92)
 *   poweroff  ACPI S5 via the FADT's PM1a_CNT and the DSDT's \_S5 (the default ending too)
 *   exit      isa-debug-exit with code=N
 *   cpus      count the MADT's local APICs
 * and, in the 64-bit guest, ring3, smp and hlt (guest64.c). */
#include "guest.h"
#include "fnv.h"

#define LSR_THRE 0x20

void putc_(char c)
{
    /* Wait for the transmit holding register, boundedly: a missing UART must not hang the guest. */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THRE); i++)
        ;
    outb(COM1, (uint8_t)c);
}

void puts_(const char *s)
{
    while (*s) {
        if (*s == '\n')
            putc_('\r');
        putc_(*s++);
    }
}

void puthex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        putc_("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}

void putdec(unsigned long v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_(buf[--n]);
}

size_t strlen_(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strncmp_(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return (uint8_t)a[i] - (uint8_t)b[i];
        if (!a[i])
            return 0;
    }
    return 0;
}

const char *cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
    size_t klen = strlen_(key);
    for (const char *p = cmdline; p && *p; ) {
        while (*p == ' ')
            p++;
        if (!strncmp_(p, key, klen) && p[klen] == '=') {
            p += klen + 1;
            size_t n = 0;
            while (p[n] && p[n] != ' ' && n + 1 < len) {
                buf[n] = p[n];
                n++;
            }
            buf[n] = 0;
            return buf;
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

uint64_t parse_dec(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void debug_exit(uint8_t v)
{
    outb(DEBUG_EXIT, v);
    puts_("vmon-guest: debug-exit did not end the VM\n");
    halt_forever();
}

void i8042_reset(void)
{
    /* 8042 command 0xfe pulses the CPU reset line. */
    for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
        ;
    outb(0x64, 0xfe);
    puts_("vmon-guest: i8042 reset did not end the VM\n");
    halt_forever();
}

/* --- ACPI, read the way an OS reads it ------------------------------------------------------- */

static uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }

static int sum_ok(uintptr_t p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + *(volatile uint8_t *)(p + i));
    return s == 0;
}

/* RSDP in the BIOS area 0xe0000-0xfffff (ACPI 5.2.5.1), then the XSDT (or RSDT) entry with sig. */
static uintptr_t acpi_table(const char *sig)
{
    uintptr_t rsdp = 0;
    for (uintptr_t p = 0xe0000; p < 0x100000; p += 16)
        if (!strncmp_((const char *)p, "RSD PTR ", 8) && sum_ok(p, 20)) {
            rsdp = p;
            break;
        }
    if (!rsdp)
        return 0;
    int x = *(volatile uint8_t *)(rsdp + 15) >= 2;
    uintptr_t sdt = x ? (uintptr_t)rd32(rsdp + 24) : (uintptr_t)rd32(rsdp + 16);
    if (!sum_ok(sdt, rd32(sdt + 4)))
        return 0;
    uint32_t n = (rd32(sdt + 4) - 36) / (x ? 8 : 4);
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t t = rd32(sdt + 36 + i * (x ? 8 : 4));
        if (!strncmp_((const char *)t, sig, 4) && sum_ok(t, rd32(t + 4)))
            return t;
    }
    return 0;
}

void acpi_poweroff(void)
{
    uintptr_t fadt = acpi_table("FACP");
    if (!fadt) {
        puts_("vmon-guest: no FADT\n");
        debug_exit(0x7d);
    }
    uint16_t pm1a = (uint16_t)rd32(fadt + 64);
    uintptr_t dsdt = rd32(fadt + 40);
    uint32_t dlen = rd32(dsdt + 4);
    int typ = -1;
    /* AML: NameOp "_S5_" PackageOp PkgLength NumElements, then SLP_TYPa as a byte constant. */
    for (uint32_t i = 36; i + 8 < dlen; i++) {
        const volatile uint8_t *p = (const volatile uint8_t *)(dsdt + i);
        if (p[0] == '_' && p[1] == 'S' && p[2] == '5' && p[3] == '_' && p[4] == 0x12) {
            const volatile uint8_t *e = p + 5 + 1 + (p[5] >> 6) + 1;   /* past PkgLength, NumElements */
            typ = e[0] == 0x0a ? e[1] : e[0] == 0x01 ? 1 : 0;
            break;
        }
    }
    if (typ < 0 || !sum_ok(dsdt, dlen)) {
        puts_("vmon-guest: no \\_S5 in the DSDT\n");
        debug_exit(0x7d);
    }
    puts_("vmon-guest: poweroff via PM1a_CNT 0x");
    puthex(pm1a, 4);
    puts_(" SLP_TYP ");
    putdec((unsigned long)typ);
    puts_("\n");
    outw(pm1a, (uint16_t)((typ << 10) | (1 << 13)));   /* SLP_TYPx | SLP_EN (ACPI 4.8.3.2.1) */
    puts_("vmon-guest: ACPI poweroff did not end the VM\n");
    halt_forever();
}

int acpi_count_cpus(void)
{
    uintptr_t madt = acpi_table("APIC");
    if (!madt)
        return 0;
    int n = 0;
    uint32_t len = rd32(madt + 4);
    for (uint32_t off = 44; off + 2 <= len; off += *(volatile uint8_t *)(madt + off + 1)) {
        volatile uint8_t *e = (volatile uint8_t *)(madt + off);
        if (e[1] < 2)
            break;
        if (e[0] == 0 && (e[4] & 1))
            n++;
    }
    return n;
}

/* --- the tests ------------------------------------------------------------------------------ */

__attribute__((weak)) void guest_main64(const char *test, const char *cmdline)
{
    (void)test;
    (void)cmdline;
}

void guest_main(const char *entry, const char *cmdline)
{
    char test[32], arg[32];
    puts_("vmon-guest: entry=");
    puts_(entry);
    puts_(" cmdline=\"");
    puts_(cmdline);
    puts_("\"\n");
    uint32_t rounds = cmdline_get(cmdline, "rounds", arg, sizeof(arg)) ? (uint32_t)parse_dec(arg) : 1;
    puts_("vmon-guest: fnv1a=");
    puthex(fnv1a32(cmdline), 8);
    puts_(" crc=");
    puthex(crc32_rounds(cmdline, rounds), 8);
    puts_("\n");

    if (!cmdline_get(cmdline, "test", test, sizeof(test)))
        acpi_poweroff();
    if (!strncmp_(test, "mmio", 5)) {
        /* 0xd0000000 lies in the PCI hole where nothing is mapped: reads give all-ones, writes are
         * dropped (a PC's master abort). */
        uint32_t a = mmio_read32(0xd0000000);
        mmio_write32(0xd0000000, 0x12345678);
        uint32_t b = mmio_read32(0xd0000000);
        puts_("vmon-guest: mmio read 0x");
        puthex(a, 8);
        puts_(" then 0x");
        puthex(b, 8);
        puts_("\n");
        acpi_poweroff();
    }
    if (!strncmp_(test, "reset", 6)) {
        puts_("vmon-guest: reset via i8042\n");
        i8042_reset();
    }
    if (!strncmp_(test, "reset-port92", 13)) {
        /* System Control Port A: A20 reads back set, then bit 0's rising edge resets. */
        puts_(inb(0x92) & 2 ? "vmon-guest: port 0x92 A20 on\n" : "vmon-guest: port 0x92 A20 off\n");
        outb(0x92, 0x03);
        puts_("vmon-guest: port 0x92 reset did not end the VM\n");
        halt_forever();
    }
    if (!strncmp_(test, "poweroff", 9))
        acpi_poweroff();
    if (!strncmp_(test, "exit", 5)) {
        uint8_t code = cmdline_get(cmdline, "code", arg, sizeof(arg)) ? (uint8_t)parse_dec(arg) : 0;
        puts_("vmon-guest: debug-exit ");
        putdec(code);
        puts_("\n");
        debug_exit(code);
    }
    if (!strncmp_(test, "cpus", 5)) {
        puts_("vmon-guest: MADT lists ");
        putdec((unsigned long)acpi_count_cpus());
        puts_(" cpus\n");
        acpi_poweroff();
    }
    guest_main64(test, cmdline);
    puts_("vmon-guest: unknown test ");
    puts_(test);
    puts_("\n");
    debug_exit(0x7f);
}

/* The compiler may emit calls to these even in freestanding code (structure copies, zeroing loops). */
void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}
