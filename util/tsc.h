/* The guest's time-stamp counter: it advances with host time (CLOCK_MONOTONIC) at a stated, constant
 * frequency, so guest clocks run at the host's rate whatever speed the software CPU executes at.
 * The frequency is told to the guest through CPUID leaves 0x15/0x16, which lets Linux skip its
 * calibration loops (and, on Intel CPUs, take the local APIC timer rate from the crystal too). */
#ifndef VMON_UTIL_TSC_H
#define VMON_UTIL_TSC_H

#include <stdint.h>
#include "util/clock.h"

#define TSC_DEFAULT_HZ      2000000000ull   /* 2 GHz */
/* The "core crystal clock" of CPUID 0x15, which is also the local APIC timer's input clock: Linux
 * sets lapic_timer_period = crystal_khz * 1000 / HZ when 0x15 reports it (arch/x86/kernel/tsc.c).
 * 1 GHz is what KVM's APIC bus uses, so the APIC timer count is in nanoseconds. */
#define TSC_CRYSTAL_HZ      1000000000ull

/* The count has no origin of its own: it is the host clock's nanoseconds scaled to hz, so it reads
 * the same on every vCPU and in every part of vmon (a real TSC counts from power-on; this one from
 * the host's boot), and the software CPU's rdtsc (ns * 2 at 2 GHz) agrees with it exactly. */
struct tsc {
    const struct plat_clock *clk;
    uint64_t hz;               /* TSC ticks per second */
    uint64_t crystal_hz;       /* CPUID 0x15 ECX; the local APIC timer's clock */
};

/* hz 0 picks TSC_DEFAULT_HZ. */
void tsc_init(struct tsc *t, const struct plat_clock *clk, uint64_t hz);

/* The TSC now. Lock-free: any thread. A vCPU that writes IA32_TSC (MSR 0x10) keeps its own offset
 * against this value (as VMX's TSC offset does); the platform's count is never changed, and TSC
 * deadlines given to the LAPIC are in this count (hw/apic.h). */
uint64_t tsc_read(const struct tsc *t);

/* Conversions between TSC values and host-clock nanoseconds (for TSC-deadline timers). */
uint64_t tsc_to_host_ns(const struct tsc *t, uint64_t tsc);
uint64_t tsc_from_host_ns(const struct tsc *t, uint64_t ns);

/* CPUID leaves 0x15 (TSC/crystal ratio, crystal Hz) and 0x16 (base/max/bus MHz). Other leaves: all 0.
 * Linux uses 0x15 only when the vendor is GenuineIntel and max leaf >= 0x15. */
void tsc_cpuid(const struct tsc *t, uint32_t leaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
               uint32_t *edx);

#endif
