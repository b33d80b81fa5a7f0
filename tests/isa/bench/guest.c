/* The bench guest: a multiboot kernel (tests/sysguests/lib) that runs the loops of loops.h (the
 * three and their variants on other registers and constants) between marker lines on COM1;
 * bench.sh timestamps the markers from outside, so the same ELF measures vmon and QEMU alike. */
#include "guest.h"
#include "tests/isa/bench/loops.h"

static struct bench_data data;

void guest_main(void)
{
    bench_fill(&data);
    for (unsigned k = 0; k < BENCH_NLOOPS; k++) {
        gprintf("BENCH %s start\n", bench_loops[k].name);
        uint64_t r = bench_loops[k].run(&data);
        gprintf("BENCH %s end %lx\n", bench_loops[k].name, (ulong)r);
    }
    debug_exit(0);
}
