/* Output over COM1 (a 16550: wait for THR empty, LSR bit 5, then write THR) and the PASS/FAIL report. */
#include <stdarg.h>

#include "guest.h"

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4

static int passed, failed;
int opt_mode;   /* set while checking an optional feature: results go on "opt:" lines */

void putc_uart(char c)
{
    for (int spin = 0; spin < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); spin++)
        ;
    outb(COM1, (uint8_t)c);
}

void puts_uart(const char *s)
{
    while (*s)
        putc_uart(*s++);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, int neg)
{
    char buf[24];
    int n = 0;
    do {
        /* 32-bit guests have no libgcc: divide by 16 with shifts, by 10 in 32 bits (values stay small). */
        unsigned d;
        if (base == 16) {
            d = v & 15;
            v >>= 4;
        } else {
            uint32_t v32 = (uint32_t)v;
            d = v32 % 10;
            v = v32 / 10;
        }
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (n < width)
        putc_uart(pad), width--;
    while (n)
        putc_uart(buf[--n]);
}

void gprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc_uart(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            lng++, fmt++;
        switch (*fmt) {
        case 's':
            puts_uart(va_arg(ap, const char *));
            break;
        case 'c':
            putc_uart((char)va_arg(ap, int));
            break;
        case 'd': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num((uint64_t)(v < 0 ? -v : v), 10, width, pad, v < 0);
            break;
        }
        case 'u':
            put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, pad, 0);
            break;
        case 'x':
            put_num(lng >= 2 ? va_arg(ap, unsigned long long)
                    : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, pad, 0);
            break;
        default:
            putc_uart('%');
            putc_uart(*fmt);
        }
    }
    va_end(ap);
}

const char *cat(const char *a, const char *b)
{
    /* A few buffers in turn, so that cat(cat(a, b), c) and a check helper taking a cat() name work. */
    static char bufs[4][160];
    static unsigned turn;
    char *buf = bufs[turn++ % 4];
    size_t n = 0;
    for (; *a && n < sizeof(bufs[0]) - 1; a++)
        buf[n++] = *a;
    for (; *b && n < sizeof(bufs[0]) - 1; b++)
        buf[n++] = *b;
    buf[n] = 0;
    return buf;
}

int check_eq(const char *name, uint64_t got, uint64_t expected)
{
    if (opt_mode)
        puts_uart("opt: ");
    if (got == expected) {
        passed++;
        gprintf("PASS %s = 0x%llx\n", name, (unsigned long long)got);
        return 1;
    }
    failed++;
    gprintf("FAIL %s: got 0x%llx expected 0x%llx\n", name, (unsigned long long)got,
            (unsigned long long)expected);
    return 0;
}

int check(const char *name, int ok)
{
    if (opt_mode)
        puts_uart("opt: ");
    if (ok)
        passed++;
    else
        failed++;
    gprintf("%s %s\n", ok ? "PASS" : "FAIL", name);
    return ok;
}

void check_count_failure(void)
{
    failed++;
}

int opt_check_eq(const char *name, uint64_t got, uint64_t expected)
{
    int saved = opt_mode;
    opt_mode = 1;
    int ok = check_eq(name, got, expected);
    opt_mode = saved;
    return ok;
}

void opt_skip(const char *name, const char *why)
{
    gprintf("opt: skip %s: %s\n", name, why);
}

void debug_exit(int value)
{
    outb(DEBUG_EXIT_PORT, (uint8_t)value);
    puts_uart("debug-exit did not end the VM\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

void finish(void)
{
    gprintf("SUMMARY %d passed, %d failed\n", passed, failed);
    debug_exit(failed ? 1 : 0);
}

/* The compiler may call these even in freestanding code. */
void *memset(void *d, int c, size_t n)
{
    return memset_g(d, c, n);
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
