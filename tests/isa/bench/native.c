/* The loops of loops.h on the host CPU: the physical limit the emulators are measured against.
 * Prints "name instructions seconds result" per loop, best of three runs. */
#include <stdio.h>
#include <time.h>

#include "tests/isa/bench/loops.h"

static uint64_t src[BENCH_MEM_WORDS], dst[BENCH_MEM_WORDS];
static char str[BENCH_MEM_LEN + 1];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    for (uint64_t k = 0; k < BENCH_MEM_WORDS; k++)
        src[k] = k * 0x9e3779b97f4a7c15ull;
    for (uint64_t k = 0; k < BENCH_MEM_LEN; k++)
        str[k] = (char)('a' + k % 26);
    double best[3] = { 1e9, 1e9, 1e9 };
    uint64_t r[3] = { 0 };
    for (int rep = 0; rep < 3; rep++) {
        double t = now();
        r[0] = loop_int(BENCH_INT_N);
        double t1 = now();
        r[1] = loop_mem(BENCH_MEM_N, dst, src, BENCH_MEM_WORDS, str);
        double t2 = now();
        r[2] = loop_branch(BENCH_BRANCH_N);
        double t3 = now();
        if (t1 - t < best[0]) best[0] = t1 - t;
        if (t2 - t1 < best[1]) best[1] = t2 - t1;
        if (t3 - t2 < best[2]) best[2] = t3 - t2;
    }
    printf("int %llu %.6f %llx\n", (unsigned long long)INT_INSNS(BENCH_INT_N), best[0], (unsigned long long)r[0]);
    printf("mem %llu %.6f %llx\n", (unsigned long long)MEM_INSNS(BENCH_MEM_N, BENCH_MEM_WORDS, BENCH_MEM_LEN),
           best[1], (unsigned long long)r[1]);
    printf("branch %llu %.6f %llx\n", (unsigned long long)BRANCH_INSNS(BENCH_BRANCH_N), best[2],
           (unsigned long long)r[2]);
    return 0;
}
