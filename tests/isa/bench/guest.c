/* The bench guest: a multiboot kernel (tests/sysguests/lib) that runs the loops of loops.h (the
 * three and their variants on other registers and constants) between marker lines on COM1; bench.sh timestamps the markers from outside, so the same ELF
 * measures vmon and QEMU alike. */
#include "guest.h"
#include "tests/isa/bench/loops.h"

static uint64_t src[BENCH_MEM_WORDS], dst[BENCH_MEM_WORDS];
static char str[BENCH_MEM_LEN + 1], str_alt[BENCH_MEM_ALT_LEN + 1];

void guest_main(void)
{
    for (uint64_t k = 0; k < BENCH_MEM_WORDS; k++)
        src[k] = k * 0x9e3779b97f4a7c15ull;
    for (uint64_t k = 0; k < BENCH_MEM_LEN; k++)
        str[k] = (char)('a' + k % 26);
    for (uint64_t k = 0; k < BENCH_MEM_ALT_LEN; k++)
        str_alt[k] = (char)('A' + k % 26);
    gprintf("BENCH int start\n");
    uint64_t r = loop_int(BENCH_INT_N);
    gprintf("BENCH int end %lx\n", (ulong)r);
    gprintf("BENCH mem start\n");
    r = loop_mem(BENCH_MEM_N, dst, src, BENCH_MEM_WORDS, str);
    gprintf("BENCH mem end %lx\n", (ulong)r);
    gprintf("BENCH branch start\n");
    r = loop_branch(BENCH_BRANCH_N);
    gprintf("BENCH branch end %lx\n", (ulong)r);
    gprintf("BENCH int-alt start\n");
    r = loop_int_alt(BENCH_INT_N);
    gprintf("BENCH int-alt end %lx\n", (ulong)r);
    gprintf("BENCH mem-alt start\n");
    r = loop_mem_alt(BENCH_MEM_N, dst, src, BENCH_MEM_ALT_WORDS, str_alt);
    gprintf("BENCH mem-alt end %lx\n", (ulong)r);
    gprintf("BENCH branch-alt start\n");
    r = loop_branch_alt(BENCH_BRANCH_N);
    gprintf("BENCH branch-alt end %lx\n", (ulong)r);
    debug_exit(0);
}
