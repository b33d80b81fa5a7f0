/* The freestanding runtime of vmon's test guests: port I/O, the COM1 UART, printing, the PC's exit
 * paths. Built for 32-bit (PVH, multiboot) and 64-bit (bzImage) guests alike. */
#ifndef VMON_GUEST_H
#define VMON_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define COM1        0x3f8
#define DEBUG_EXIT  0xf4           /* isa-debug-exit: vmon ends with status (V << 1) | 1 */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

void putc_(char c);
void puts_(const char *s);           /* no newline added */
void puthex(uint64_t v, int digits);
void putdec(unsigned long v);   /* unsigned long: no 64-bit division (libgcc) in 32-bit guests */
size_t strlen_(const char *s);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int strncmp_(const char *a, const char *b, size_t n);
/* The value of "key=" in a kernel-style cmdline (up to the next space) copied to buf, or NULL. */
const char *cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
uint64_t parse_dec(const char *s);

void debug_exit(uint8_t v) __attribute__((noreturn));
void i8042_reset(void) __attribute__((noreturn));
/* ACPI S5 found the way an OS does: RSDP scan, XSDT -> FADT (PM1a_CNT), DSDT (\_S5). */
void acpi_poweroff(void) __attribute__((noreturn));
/* Number of local APIC entries in the MADT, 0 when there is none. */
int acpi_count_cpus(void);
void halt_forever(void) __attribute__((noreturn));

/* The common tests, selected by "test=" on the cmdline; entry names the boot path for the log. */
void guest_main(const char *entry, const char *cmdline) __attribute__((noreturn));
/* Tests only the 64-bit guest implements (ring 3, SMP, timer + hlt); returns if name is not one. */
void guest_main64(const char *test, const char *cmdline);

#endif
