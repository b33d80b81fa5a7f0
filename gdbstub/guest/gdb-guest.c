/* The gdbstub tests' guest: a freestanding 64-bit ELF with debug info (built -O0 -g), entered in long
 * mode at _start (guest/entry.S). It calls compute() four times, storing into watched after each
 * call, then writes the sum to isa-debug-exit: vmon exits ((1+4+9+16 + 4*7) << 1) | 1 = 117. The
 * gdb script breaks in compute, steps, reads n/sq and registers, and watches watched. */
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

volatile uint64_t watched;
volatile uint64_t total;

void gdb_guest_main(void);

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void say(const char *s)
{
    while (*s)
        outb(COM1, (uint8_t)*s++);
}

__attribute__((noinline)) uint64_t compute(uint64_t n)
{
    uint64_t sq = n * n;
    uint64_t r = sq + 7;
    return r;
}

void gdb_guest_main(void)
{
    say("gdb-guest: start\n");
    for (uint64_t i = 1; i <= 4; i++) {
        total += compute(i);
        watched = i * 10;
    }
    say("gdb-guest: done\n");
    outb(DEBUG_EXIT, (uint8_t)total);
    for (;;)
        __asm__ volatile("hlt");
}
