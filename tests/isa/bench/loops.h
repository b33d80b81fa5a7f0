/* The three loops of `make bench` (tests/isa/bench/bench.sh), as inline asm so that the host, vmon's
 * software CPU and QEMU TCG run the very same instructions. Each returns a value the caller prints
 * (so nothing is optimized away) and has an exact instruction count. */
#ifndef VMON_TESTS_ISA_BENCH_LOOPS_H
#define VMON_TESTS_ISA_BENCH_LOOPS_H

#include <stdint.h>

/* Integer: a 5-instruction register loop. */
#define INT_INSNS(n) (5ull * (n))
static inline uint64_t loop_int(uint64_t n)
{
    uint64_t a = 1, b = 2, d = 3;
    __asm__ volatile("1:\n\t"
                     "add %%rax, %%rbx\n\t"
                     "xor %%rbx, %%rdx\n\t"
                     "lea 1(%%rdx), %%rax\n\t"
                     "dec %%rcx\n\t"
                     "jnz 1b"
                     : "+a"(a), "+b"(b), "+d"(d), "+c"(n) : : "cc");
    return a ^ b ^ d;
}

/* Memory: copy `words` 8-byte words (4 instructions each), then strlen over `len` bytes (3 each),
 * `n` times. */
#define MEM_INSNS(n, words, len) ((uint64_t)(n) * (4ull * (words) + 3ull * ((len) + 1) + 5))
static inline uint64_t loop_mem(uint64_t n, uint64_t *dst, const uint64_t *src, uint64_t words,
                                const char *str)
{
    uint64_t total = 0, i, t, len;
    __asm__ volatile("1:\n\t"
                     "mov %[w], %[i]\n\t"
                     "2:\n\t"
                     "mov -8(%[s],%[i],8), %[t]\n\t"
                     "mov %[t], -8(%[d],%[i],8)\n\t"
                     "dec %[i]\n\t"
                     "jnz 2b\n\t"
                     "mov $-1, %[len]\n\t"
                     "3:\n\t"
                     "cmpb $0, 1(%[str],%[len])\n\t"
                     "lea 1(%[len]), %[len]\n\t"
                     "jnz 3b\n\t"
                     "add %[len], %[total]\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b"
                     : [n] "+r"(n), [i] "=&r"(i), [t] "=&r"(t), [len] "=&r"(len), [total] "+r"(total)
                     : [w] "r"(words), [s] "r"(src), [d] "r"(dst), [str] "r"(str)
                     : "cc", "memory");
    return total;
}

/* Branchy: a linear congruential generator picks one of two 8-instruction paths each round. */
#define BRANCH_INSNS(n) (8ull * (n))
static inline uint64_t loop_branch(uint64_t n)
{
    uint64_t x = 12345, cnt = 0, mul = 6364136223846793005ull;
    __asm__ volatile("1:\n\t"
                     "imul %[m], %[x]\n\t"
                     "add $1442695, %[x]\n\t"
                     "bt $40, %[x]\n\t"
                     "jc 2f\n\t"
                     "inc %[c]\n\t"
                     "jmp 3f\n\t"
                     "2:\n\t"
                     "dec %[c]\n\t"
                     "nop\n\t"
                     "3:\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b"
                     : [x] "+r"(x), [c] "+r"(cnt), [n] "+r"(n) : [m] "r"(mul) : "cc");
    return cnt;
}

/* The same three loops with other registers and constants (issue 20: no code path may recognise
 * the benchmark's own code): int and branch on r8..r15, mem on fixed registers and other sizes. */
static inline uint64_t loop_int_alt(uint64_t n)
{
    register uint64_t a __asm__("r8") = 5, b __asm__("r9") = 7, d __asm__("r10") = 11;
    register uint64_t c __asm__("r11") = n;
    __asm__ volatile("1:\n\t"
                     "add %%r8, %%r9\n\t"
                     "xor %%r9, %%r10\n\t"
                     "lea 3(%%r10), %%r8\n\t"
                     "dec %%r11\n\t"
                     "jnz 1b"
                     : "+r"(a), "+r"(b), "+r"(d), "+r"(c) : : "cc");
    return a ^ b ^ d;
}

static inline uint64_t loop_mem_alt(uint64_t n, uint64_t *dst, const uint64_t *src, uint64_t words,
                                    const char *str)
{
    register uint64_t total __asm__("r15") = 0, i __asm__("r9"), t __asm__("r13"), len __asm__("r14");
    register uint64_t nn __asm__("r12") = n;
    __asm__ volatile("1:\n\t"
                     "mov %[w], %[i]\n\t"
                     "2:\n\t"
                     "mov -8(%[s],%[i],8), %[t]\n\t"
                     "mov %[t], -8(%[d],%[i],8)\n\t"
                     "dec %[i]\n\t"
                     "jnz 2b\n\t"
                     "mov $-1, %[len]\n\t"
                     "3:\n\t"
                     "cmpb $0, 1(%[str],%[len])\n\t"
                     "lea 1(%[len]), %[len]\n\t"
                     "jnz 3b\n\t"
                     "add %[len], %[total]\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b"
                     : [n] "+r"(nn), [i] "=&r"(i), [t] "=&r"(t), [len] "=&r"(len), [total] "+r"(total)
                     : [w] "r"(words), [s] "r"(src), [d] "r"(dst), [str] "r"(str)
                     : "cc", "memory");
    return total;
}

static inline uint64_t loop_branch_alt(uint64_t n)
{
    register uint64_t x __asm__("r14") = 777, cnt __asm__("r13") = 0, nn __asm__("r15") = n;
    register uint64_t mul __asm__("r10") = 2862933555777941757ull;
    __asm__ volatile("1:\n\t"
                     "imul %[m], %[x]\n\t"
                     "add $1013904223, %[x]\n\t"
                     "bt $37, %[x]\n\t"
                     "jc 2f\n\t"
                     "inc %[c]\n\t"
                     "jmp 3f\n\t"
                     "2:\n\t"
                     "dec %[c]\n\t"
                     "nop\n\t"
                     "3:\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b"
                     : [x] "+r"(x), [c] "+r"(cnt), [n] "+r"(nn) : [m] "r"(mul) : "cc");
    return cnt;
}

/* The sizes the guest and the host both use. */
#define BENCH_INT_N    100000000ull
#define BENCH_MEM_N    20000ull
#define BENCH_MEM_WORDS 512ull
#define BENCH_MEM_LEN  4000ull
#define BENCH_BRANCH_N 60000000ull
#define BENCH_MEM_ALT_WORDS 384ull
#define BENCH_MEM_ALT_LEN  3000ull

#endif
