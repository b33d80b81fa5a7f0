/* The loops of loops.h on the host CPU: the physical limit the emulators are measured against.
 * Prints "name instructions seconds result" per loop, best of three runs. */
#include <stdio.h>
#include <time.h>

#include "tests/isa/bench/loops.h"

static uint64_t src[BENCH_MEM_WORDS], dst[BENCH_MEM_WORDS];
static char str[BENCH_MEM_LEN + 1], str_alt[BENCH_MEM_ALT_LEN + 1];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t run_int(void) { return loop_int(BENCH_INT_N); }
static uint64_t run_mem(void) { return loop_mem(BENCH_MEM_N, dst, src, BENCH_MEM_WORDS, str); }
static uint64_t run_branch(void) { return loop_branch(BENCH_BRANCH_N); }
static uint64_t run_int_alt(void) { return loop_int_alt(BENCH_INT_N); }
static uint64_t run_mem_alt(void) { return loop_mem_alt(BENCH_MEM_N, dst, src, BENCH_MEM_ALT_WORDS, str_alt); }
static uint64_t run_branch_alt(void) { return loop_branch_alt(BENCH_BRANCH_N); }

int main(void)
{
    for (uint64_t k = 0; k < BENCH_MEM_WORDS; k++)
        src[k] = k * 0x9e3779b97f4a7c15ull;
    for (uint64_t k = 0; k < BENCH_MEM_LEN; k++)
        str[k] = (char)('a' + k % 26);
    for (uint64_t k = 0; k < BENCH_MEM_ALT_LEN; k++)
        str_alt[k] = (char)('A' + k % 26);
    static const struct { const char *name; uint64_t (*fn)(void); uint64_t insns; } loops[] = {
        { "int", run_int, INT_INSNS(BENCH_INT_N) },
        { "mem", run_mem, MEM_INSNS(BENCH_MEM_N, BENCH_MEM_WORDS, BENCH_MEM_LEN) },
        { "branch", run_branch, BRANCH_INSNS(BENCH_BRANCH_N) },
        { "int-alt", run_int_alt, INT_INSNS(BENCH_INT_N) },
        { "mem-alt", run_mem_alt, MEM_INSNS(BENCH_MEM_N, BENCH_MEM_ALT_WORDS, BENCH_MEM_ALT_LEN) },
        { "branch-alt", run_branch_alt, BRANCH_INSNS(BENCH_BRANCH_N) },
    };
    enum { N = sizeof(loops) / sizeof(loops[0]) };
    double best[N];
    uint64_t r[N];
    for (int k = 0; k < N; k++)
        best[k] = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        for (int k = 0; k < N; k++) {
            double t = now();
            r[k] = loops[k].fn();
            double t1 = now();
            if (t1 - t < best[k])
                best[k] = t1 - t;
        }
    }
    for (int k = 0; k < N; k++)
        printf("%s %llu %.6f %llx\n", loops[k].name, (unsigned long long)loops[k].insns, best[k],
               (unsigned long long)r[k]);
    return 0;
}
