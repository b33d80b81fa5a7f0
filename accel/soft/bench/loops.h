/* The benchmark loops, as inline assembly that means the same instructions in 32-bit guest code and
 * in the 64-bit host build, so the software CPU, QEMU TCG and the host run the same work. The
 * LOOP_*_INSNS constants give the instructions per iteration (n must be at least 1). */
#ifndef VMON_ACCEL_SOFT_BENCH_LOOPS_H
#define VMON_ACCEL_SOFT_BENCH_LOOPS_H

#include <stdint.h>

/* Integer: 5 instructions per iteration, registers only. */
static inline void loop_int(uint32_t n)
{
    uint32_t a = 0, b = 0, d = 0;
    __asm__ volatile("1: add %%ecx, %%eax\n\t"
                     "xor %%eax, %%edx\n\t"
                     "add $3, %%ebx\n\t"
                     "sub $1, %%ecx\n\t"
                     "jnz 1b"
                     : "+a"(a), "+b"(b), "+d"(d), "+c"(n) : : "cc");
}

/* Branchy: data-dependent branches, 8 instructions per iteration on average (exactly 32 per 4). */
static inline void loop_branch(uint32_t n)
{
    uint32_t a = 0, b = 0, d = 0;
    __asm__ volatile("1: mov %%ecx, %%eax\n\t"
                     "and $1, %%eax\n\t"
                     "jz 2f\n\t"
                     "add $1, %%edx\n"
                     "2: test $2, %%ecx\n\t"
                     "jnz 3f\n\t"
                     "add $2, %%ebx\n"
                     "3: sub $1, %%ecx\n\t"
                     "jnz 1b"
                     : "+a"(a), "+b"(b), "+d"(d), "+c"(n) : : "cc");
}

/* Memory: per iteration, copy 1 KiB word by word (1 + 256 * 6 instructions) and take the length of
 * a 255-byte string byte by byte (1 + 256 * 3): 2306 instructions, and about 4 more of loop
 * control the compiler writes. */
static inline void loop_mem(uint32_t n, uint8_t *dst, const uint8_t *src, const char *str)
{
    for (; n; n--) {
        const uint8_t *s = src;
        uint8_t *d = dst;
        const char *p = str;
        uint32_t cnt, t;
        __asm__ volatile("mov $256, %%ecx\n"
                         "1: movl (%[s]), %%eax\n\t"
                         "movl %%eax, (%[d])\n\t"
                         "add $4, %[s]\n\t"
                         "add $4, %[d]\n\t"
                         "sub $1, %%ecx\n\t"
                         "jnz 1b\n\t"
                         "mov %[p], %[s]\n"
                         "2: cmpb $0, (%[s])\n\t"
                         "lea 1(%[s]), %[s]\n\t"
                         "jne 2b"
                         : [s] "+r"(s), [d] "+r"(d), "=&c"(cnt), "=&a"(t)
                         : [p] "r"(p)
                         : "cc", "memory");
    }
}

#define LOOP_INT_INSNS 5ull
#define LOOP_BRANCH_INSNS 8ull
#define LOOP_MEM_INSNS 2310ull

#endif
