/* The loops of loops.h on the host CPU: the physical limit the emulators are measured against.
 * Prints "name instructions seconds result" per loop, best of three runs. */
#include <stdio.h>
#include <time.h>

#include "tests/isa/bench/loops.h"

static struct bench_data data;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    bench_fill(&data);
    double best[BENCH_NLOOPS];
    uint64_t r[BENCH_NLOOPS];
    for (unsigned k = 0; k < BENCH_NLOOPS; k++)
        best[k] = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        for (unsigned k = 0; k < BENCH_NLOOPS; k++) {
            double t = now();
            r[k] = bench_loops[k].run(&data);
            double t1 = now();
            if (t1 - t < best[k])
                best[k] = t1 - t;
        }
    }
    for (unsigned k = 0; k < BENCH_NLOOPS; k++)
        printf("%s %llu %.6f %llx\n", bench_loops[k].name, (unsigned long long)bench_loops[k].insns, best[k],
               (unsigned long long)r[k]);
    return 0;
}
