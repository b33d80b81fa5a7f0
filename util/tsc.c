/* The guest TSC: host monotonic time scaled to a stated frequency. */
#include "util/tsc.h"

void tsc_init(struct tsc *t, const struct plat_clock *clk, uint64_t hz)
{
    t->clk = clk;
    t->hz = hz ? hz : TSC_DEFAULT_HZ;
    t->crystal_hz = TSC_CRYSTAL_HZ;
}

uint64_t tsc_read(const struct tsc *t)
{
    return tsc_from_host_ns(t, clk_now(t->clk));
}

uint64_t tsc_from_host_ns(const struct tsc *t, uint64_t ns)
{
    return muldiv64(ns, t->hz, 1000000000ull);
}

uint64_t tsc_to_host_ns(const struct tsc *t, uint64_t tsc)
{
    /* Round up, so a timer armed for this TSC value never fires while the TSC is still below it. */
    unsigned __int128 ns = ((unsigned __int128)tsc * 1000000000ull + t->hz - 1) / t->hz;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

void tsc_cpuid(const struct tsc *t, uint32_t leaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
               uint32_t *edx)
{
    *eax = *ebx = *ecx = *edx = 0;
    if (leaf == 0x15) {
        /* SDM vol. 2A, CPUID leaf 15H: TSC Hz = ECX * EBX / EAX. Linux computes
         * crystal_khz * EBX / EAX in 32 bits, so the ratio is reduced to lowest terms. */
        uint64_t g = gcd64(t->hz, t->crystal_hz);
        *eax = (uint32_t)(t->crystal_hz / g);
        *ebx = (uint32_t)(t->hz / g);
        *ecx = (uint32_t)t->crystal_hz;
    } else if (leaf == 0x16) {
        /* Leaf 16H: processor base, maximum and bus (reference) frequency in MHz. */
        *eax = (uint32_t)(t->hz / 1000000);
        *ebx = (uint32_t)(t->hz / 1000000);
        *ecx = (uint32_t)(t->crystal_hz / 1000000);
    }
}
