/* The benchmark loops of loops.h run natively on the host: the physical limit for the same code.
 * Prints "<loop> <million instructions per second>" for each loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel/soft/bench/loops.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void)
{
    static uint8_t src[1024], dst[1024];
    static char str[256];
    memset(str, 'a', 255);
    struct { const char *name; uint32_t n; uint64_t per; } l[] = {
        { "int", 1000000000u, LOOP_INT_INSNS },
        { "branch", 400000000u, LOOP_BRANCH_INSNS },
        { "mem", 1000000u, LOOP_MEM_INSNS },
    };
    for (int k = 0; k < 3; k++) {
        double t = now();
        if (k == 0)
            loop_int(l[k].n);
        else if (k == 1)
            loop_branch(l[k].n);
        else
            loop_mem(l[k].n, dst, src, str);
        t = now() - t;
        printf("%s %.0f\n", l[k].name, (double)l[k].n * (double)l[k].per / t / 1e6);
    }
    return 0;
}
