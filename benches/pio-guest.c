/* PIO-exit benchmark guest: a multiboot v1 kernel (32-bit protected mode, no paging) that writes
 * port 0x80 count times, from ring 0 or from ring 3, then leaves through isa-debug-exit (value 0,
 * vmon/QEMU status 1). Its command line says what to do: "count=N" (default 0), "ring3", and
 * "hold" (halt with interrupts off instead of exiting, so the bench can read the VMM's memory use),
 * "crash" (a triple fault, for vmon's tests).
 * The same ELF runs under vmon and under qemu-system-x86_64 -kernel. */
#include <stdint.h>

#define MB_MAGIC 0x1badb002u
#define MB_INFO_CMDLINE (1u << 2)
#define BENCH_PORT 0x80
#define DEBUG_EXIT_PORT 0xf4

struct mb_header {
    uint32_t magic, flags, checksum;
};

__attribute__((section(".multiboot"), used, aligned(4)))
static const struct mb_header mb_header = { MB_MAGIC, 0, -MB_MAGIC };

/* Flat 4 GiB segments: kernel code/data (ring 0) and user code/data (ring 3). */
__attribute__((aligned(8)))
static const uint64_t gdt[] = {
    0,
    0x00cf9a000000ffffull,     /* 0x08 ring-0 code */
    0x00cf92000000ffffull,     /* 0x10 ring-0 data */
    0x00cffa000000ffffull,     /* 0x1b ring-3 code */
    0x00cff2000000ffffull,     /* 0x23 ring-3 data */
};

__attribute__((used)) static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));
static volatile uint32_t count;

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  cli\n"
        "  mov $kstack + 4096, %esp\n"
        "  push %ebx\n"                      /* the multiboot info */
        "  call guest_main\n"
        "1: hlt\n"
        "  jmp 1b\n");

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static void __attribute__((noinline)) pio_loop(uint32_t n)
{
    for (; n; n--)
        outb(BENCH_PORT, 0);
}

static void __attribute__((noreturn)) finish(void)
{
    outb(DEBUG_EXIT_PORT, 0);
    for (;;)
        __asm__ volatile("hlt");
}

/* Ring 3 runs with IOPL 3, so its out instructions exit to the VMM directly, as ring 0's do. */
void __attribute__((noreturn, used)) user_main(void)
{
    pio_loop(count);
    finish();
}

static const char *find(const char *s, const char *word)
{
    for (; s && *s; s++) {
        const char *a = s, *b = word;
        while (*b && *a == *b)
            a++, b++;
        if (!*b)
            return a;
    }
    return 0;
}

void __attribute__((noreturn, used)) guest_main(const uint32_t *mbi)
{
    const char *cmdline = (mbi[0] & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi[4] : 0;
    const char *p = find(cmdline, "count=");
    uint32_t n = 0;
    while (p && *p >= '0' && *p <= '9')
        n = n * 10 + (uint32_t)(*p++ - '0');
    count = n;
    if (find(cmdline, "crash")) {
        /* For vmon's crash path: with an empty IDT, int3 can deliver neither #BP nor #GP nor #DF,
         * so the CPU shuts down (a triple fault). */
        struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = { 0, 0 };
        __asm__ volatile("lidt %0\n int3" :: "m"(empty));
    }
    if (find(cmdline, "hold"))
        for (;;)
            __asm__ volatile("cli; hlt");
    if (!find(cmdline, "ring3")) {
        pio_loop(count);
        finish();
    }
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
    /* SYSEXIT enters ring 3 with CS = SYSENTER_CS + 16 and SS = SYSENTER_CS + 24 (SDM Vol. 2B),
     * here 0x1b and 0x23; IOPL 3 is set first since SYSEXIT keeps EFLAGS. (KVM's emulator on hosts
     * without VT-x handles SYSEXIT but not a 32-bit IRET to ring 3.) */
    __asm__ volatile("lgdt %1\n"
                     "ljmp $0x08, $1f\n"
                     "1: mov $0x10, %%ax\n"
                     "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
                     "mov $0x174, %%ecx\n"    /* IA32_SYSENTER_CS */
                     "mov $0x08, %%eax\n"
                     "xor %%edx, %%edx\n"
                     "wrmsr\n"
                     "pushl $0x3002\n"
                     "popfl\n"
                     "mov $0x23, %%ax\n"
                     "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
                     "mov %0, %%ecx\n"        /* ring-3 esp */
                     "mov $user_main, %%edx\n"
                     "sysexit\n"
                     :: "r"(ustack + sizeof(ustack)), "m"(gdtr) : "eax", "ecx", "edx", "memory");
    __builtin_unreachable();
}
