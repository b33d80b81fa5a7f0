/* Software-CPU benchmark guest: a multiboot v1 kernel (32-bit protected mode, no paging) that runs one
 * of the loops of loops.h n times, then leaves through isa-debug-exit (value 0, status 1). Its command
 * line says which: "loop=int|branch|mem n=N". The same ELF runs under vmon and qemu-system-x86_64. */
#include <stdint.h>

#include "accel/soft/bench/loops.h"

#define MB_MAGIC 0x1badb002u
#define MB_INFO_CMDLINE (1u << 2)

struct mb_header {
    uint32_t magic, flags, checksum;
};

__attribute__((section(".multiboot"), used, aligned(4)))
static const struct mb_header mb_header = { MB_MAGIC, 0, -MB_MAGIC };

__attribute__((used)) static uint8_t kstack[4096] __attribute__((aligned(16)));
/* Data on pages of their own: a store to a page holding code would invalidate its blocks. */
static uint8_t src[1024] __attribute__((aligned(4096))), dst[1024] __attribute__((aligned(4096)));
static char str[256] __attribute__((aligned(4096)));

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  cli\n"
        "  mov $kstack + 4096, %esp\n"
        "  push %ebx\n"
        "  call guest_main\n"
        "1: hlt\n"
        "  jmp 1b\n");

static int word_is(const char *p, const char *w)
{
    while (*w && *p == *w)
        p++, w++;
    return !*w && (*p == ' ' || *p == 0);
}

__attribute__((used)) void guest_main(const uint32_t *mbi)
{
    const char *cmd = (mbi[0] & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi[4] : "";
    uint32_t n = 1;
    int loop = 0;
    for (const char *p = cmd; *p; p++) {
        if (p != cmd && p[-1] != ' ')
            continue;
        if (p[0] == 'n' && p[1] == '=') {
            n = 0;
            for (const char *q = p + 2; *q >= '0' && *q <= '9'; q++)
                n = n * 10 + (uint32_t)(*q - '0');
        } else if (word_is(p, "loop=branch")) {
            loop = 1;
        } else if (word_is(p, "loop=mem")) {
            loop = 2;
        }
    }
    if (!n)
        n = 1;
    for (int k = 0; k < 255; k++)
        str[k] = (char)('a' + k % 26);
    if (loop == 0)
        loop_int(n);
    else if (loop == 1)
        loop_branch(n);
    else
        loop_mem(n, dst, src, str);
    __asm__ volatile("outb %0, $0xf4" :: "a"((uint8_t)0));
    for (;;)
        __asm__ volatile("hlt");
}
