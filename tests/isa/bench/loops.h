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
#define LOOP_MEM_ASM \
    "1:\n\t" "mov %[w], %[i]\n\t" \
    "2:\n\t" "mov -8(%[s],%[i],8), %[t]\n\t" "mov %[t], -8(%[d],%[i],8)\n\t" "dec %[i]\n\t" "jnz 2b\n\t" \
    "mov $-1, %[len]\n\t" \
    "3:\n\t" "cmpb $0, 1(%[str],%[len])\n\t" "lea 1(%[len]), %[len]\n\t" "jnz 3b\n\t" \
    "add %[len], %[total]\n\t" "dec %[n]\n\t" "jnz 1b"
#define MEM_INSNS(n, words, len) ((uint64_t)(n) * (4ull * (words) + 3ull * ((len) + 1) + 5))
static inline uint64_t loop_mem(uint64_t n, uint64_t *dst, const uint64_t *src, uint64_t words,
                                const char *str)
{
    uint64_t total = 0, i, t, len;
    __asm__ volatile(LOOP_MEM_ASM
                     : [n] "+r"(n), [i] "=&r"(i), [t] "=&r"(t), [len] "=&r"(len), [total] "+r"(total)
                     : [w] "r"(words), [s] "r"(src), [d] "r"(dst), [str] "r"(str)
                     : "cc", "memory");
    return total;
}

/* Branchy: a linear congruential generator picks one of two 8-instruction paths each round. */
#define LOOP_BRANCH_ASM(add, bit) \
    "1:\n\t" "imul %[m], %[x]\n\t" "add $" add ", %[x]\n\t" "bt $" bit ", %[x]\n\t" "jc 2f\n\t" \
    "inc %[c]\n\t" "jmp 3f\n\t" \
    "2:\n\t" "dec %[c]\n\t" "nop\n\t" \
    "3:\n\t" "dec %[n]\n\t" "jnz 1b"
#define BRANCH_INSNS(n) (8ull * (n))
static inline uint64_t loop_branch(uint64_t n)
{
    uint64_t x = 12345, cnt = 0, mul = 6364136223846793005ull;
    __asm__ volatile(LOOP_BRANCH_ASM("1442695", "40")
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
    __asm__ volatile(LOOP_MEM_ASM
                     : [n] "+r"(nn), [i] "=&r"(i), [t] "=&r"(t), [len] "=&r"(len), [total] "+r"(total)
                     : [w] "r"(words), [s] "r"(src), [d] "r"(dst), [str] "r"(str)
                     : "cc", "memory");
    return total;
}

static inline uint64_t loop_branch_alt(uint64_t n)
{
    register uint64_t x __asm__("r14") = 777, cnt __asm__("r13") = 0, nn __asm__("r15") = n;
    register uint64_t mul __asm__("r10") = 2862933555777941757ull;
    __asm__ volatile(LOOP_BRANCH_ASM("1013904223", "37")
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

/* The loops' data, filled by bench_fill, and the six runs the guest and the host both make. */
struct bench_data {
    uint64_t src[BENCH_MEM_WORDS], dst[BENCH_MEM_WORDS];
    char str[BENCH_MEM_LEN + 1], str_alt[BENCH_MEM_ALT_LEN + 1];
};

static inline void bench_fill(struct bench_data *d)
{
    for (uint64_t k = 0; k < BENCH_MEM_WORDS; k++)
        d->src[k] = k * 0x9e3779b97f4a7c15ull;
    for (uint64_t k = 0; k < BENCH_MEM_LEN; k++)
        d->str[k] = (char)('a' + k % 26);
    for (uint64_t k = 0; k < BENCH_MEM_ALT_LEN; k++)
        d->str_alt[k] = (char)('A' + k % 26);
}

static inline uint64_t run_int(struct bench_data *d) { (void)d; return loop_int(BENCH_INT_N); }
static inline uint64_t run_mem(struct bench_data *d)
{
    return loop_mem(BENCH_MEM_N, d->dst, d->src, BENCH_MEM_WORDS, d->str);
}
static inline uint64_t run_branch(struct bench_data *d) { (void)d; return loop_branch(BENCH_BRANCH_N); }
static inline uint64_t run_int_alt(struct bench_data *d) { (void)d; return loop_int_alt(BENCH_INT_N); }
static inline uint64_t run_mem_alt(struct bench_data *d)
{
    return loop_mem_alt(BENCH_MEM_N, d->dst, d->src, BENCH_MEM_ALT_WORDS, d->str_alt);
}
static inline uint64_t run_branch_alt(struct bench_data *d) { (void)d; return loop_branch_alt(BENCH_BRANCH_N); }

static const struct bench_loop {
    const char *name;
    uint64_t (*run)(struct bench_data *d);
    uint64_t insns;
} bench_loops[] = {
    { "int", run_int, INT_INSNS(BENCH_INT_N) },
    { "mem", run_mem, MEM_INSNS(BENCH_MEM_N, BENCH_MEM_WORDS, BENCH_MEM_LEN) },
    { "branch", run_branch, BRANCH_INSNS(BENCH_BRANCH_N) },
    { "int-alt", run_int_alt, INT_INSNS(BENCH_INT_N) },
    { "mem-alt", run_mem_alt, MEM_INSNS(BENCH_MEM_N, BENCH_MEM_ALT_WORDS, BENCH_MEM_ALT_LEN) },
    { "branch-alt", run_branch_alt, BRANCH_INSNS(BENCH_BRANCH_N) },
};
#define BENCH_NLOOPS (sizeof(bench_loops) / sizeof(bench_loops[0]))

#endif
