/* Snapshot test guest: a multiboot v1 kernel (32-bit protected mode, no paging) that counts. Every
 * "period" TSC ticks it adds one to its count, writes a count-dependent pattern into a 1 MiB array,
 * adds one to each dword of XMM7 (so the SSE state is part of what must survive), and prints
 * "count N xmm X" on COM1 (with "sse=0" X is the count kept in memory: KVM on a host without VT-x
 * here stops at the first SSE instruction even in ring 3); at "limit" it prints a hash of the array and leaves through isa-debug-exit
 * (value 0: vmon status 1). The loop runs in ring 3 with IOPL 3 (entered with SYSEXIT, as
 * benches/pio-guest.c does), where KVM without VT-x runs it natively. A run saved and restored anywhere in between prints the same lines
 * after the restore point and the same hash as a straight run. Command line: "limit=N period=T sse=0|1". */
#include <stdint.h>

#define MB_MAGIC 0x1badb002u
#define MB_INFO_CMDLINE (1u << 2)
#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define ARRAY_WORDS (256u * 1024u)

struct mb_header {
    uint32_t magic, flags, checksum;
};

__attribute__((section(".multiboot"), used, aligned(4)))
static const struct mb_header mb_header = { MB_MAGIC, 0, -MB_MAGIC };

__attribute__((used)) static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[8192] __attribute__((aligned(16)));
static uint32_t array[ARRAY_WORDS];
static uint32_t limit, period, sse;

/* Flat 4 GiB segments: kernel code/data (ring 0) and user code/data (ring 3). */
__attribute__((aligned(8)))
static const uint64_t gdt[] = {
    0,
    0x00cf9a000000ffffull,     /* 0x08 ring-0 code */
    0x00cf92000000ffffull,     /* 0x10 ring-0 data */
    0x00cffa000000ffffull,     /* 0x1b ring-3 code */
    0x00cff2000000ffffull,     /* 0x23 ring-3 data */
};

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  cli\n"
        "  mov $kstack + 8192, %esp\n"
        "  push %ebx\n"
        "  call guest_main\n"
        "1: hlt\n"
        "  jmp 1b\n");

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void puts_com(const char *s)
{
    while (*s)
        outb(COM1, (uint8_t)*s++);
}

static void putu(uint32_t v)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        outb(COM1, (uint8_t)buf[--n]);
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

static uint32_t arg(const char *cmdline, const char *name, uint32_t dflt)
{
    const char *p = find(cmdline, name);
    if (!p || *p < '0' || *p > '9')
        return dflt;
    uint32_t n = 0;
    while (*p >= '0' && *p <= '9')
        n = n * 10 + (uint32_t)(*p++ - '0');
    return n;
}

/* SSE on (CR0.EM clear, MP set; CR4.OSFXSR). */
static void sse_enable(void)
{
    __asm__ volatile("mov %%cr0, %%eax\n and $~4, %%eax\n or $2, %%eax\n mov %%eax, %%cr0\n"
                     "mov %%cr4, %%eax\n or $0x200, %%eax\n mov %%eax, %%cr4\n" ::: "eax", "memory");
}

/* XMM6 = four 1s, XMM7 = 0 (in ring 3: KVM without VT-x does not emulate SSE in ring 0). */
static void sse_init(void)
{
    static const uint32_t ones[4] __attribute__((aligned(16))) = { 1, 1, 1, 1 };
    __asm__ volatile("movdqu %0, %%xmm6\n pxor %%xmm7, %%xmm7\n" :: "m"(ones) : "memory");
}

static uint32_t sse_step(void)
{
    uint32_t x;
    __asm__ volatile("paddd %%xmm6, %%xmm7\n movd %%xmm7, %0" : "=r"(x));
    return x;
}

static uint32_t fnv(const uint32_t *a, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ a[i]) * 16777619u;
    return h;
}

void __attribute__((noreturn, used)) user_main(void)
{
    if (sse)
        sse_init();
    puts_com("start\n");
    for (uint32_t count = 1; count <= limit; count++) {
        uint64_t t0 = rdtsc();
        while (rdtsc() - t0 < period)
            __asm__ volatile("pause");
        for (uint32_t k = 0; k < 64; k++)
            array[(count * 7919u + k * 4099u) % ARRAY_WORDS] += count ^ k;
        uint32_t x = sse ? sse_step() : count;
        puts_com("count ");
        putu(count);
        puts_com(" xmm ");
        putu(x);
        puts_com("\n");
    }
    puts_com("done hash ");
    putu(fnv(array, ARRAY_WORDS));
    puts_com("\n");
    outb(DEBUG_EXIT_PORT, 0);
    for (;;)
        __asm__ volatile("pause");
}

void __attribute__((noreturn, used)) guest_main(const uint32_t *mbi)
{
    const char *cmdline = (mbi[0] & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi[4] : 0;
    limit = arg(cmdline, "limit=", 100);
    period = arg(cmdline, "period=", 20000000);
    sse = arg(cmdline, "sse=", 1);
    sse_enable();
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
    /* SYSEXIT enters ring 3 with CS = SYSENTER_CS + 16 and SS = SYSENTER_CS + 24 (SDM Vol. 2B):
     * 0x1b and 0x23; IOPL 3 first, since SYSEXIT keeps EFLAGS. */
    __asm__ volatile("lgdt %1\n"
                     "ljmp $0x08, $1f\n"
                     "1: mov $0x10, %%ax\n"
                     "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
                     "mov $0x174, %%ecx\n"
                     "mov $0x08, %%eax\n"
                     "xor %%edx, %%edx\n"
                     "wrmsr\n"
                     "pushl $0x3002\n"
                     "popfl\n"
                     "mov $0x23, %%ax\n"
                     "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
                     "mov %0, %%ecx\n"
                     "mov $user_main, %%edx\n"
                     "sysexit\n"
                     :: "r"(ustack + sizeof(ustack)), "m"(gdtr) : "eax", "ecx", "edx", "memory");
    __builtin_unreachable();
}
