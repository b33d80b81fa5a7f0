/* KVM's paravirtual interface, offered by the software CPU under -cpu ...,kvm=on so a guest finds
 * the same clock source under both accelerators (Linux Documentation/virt/kvm/x86/cpuid.rst and
 * msr.rst): the signature leaf 0x40000000 ("KVMKVMKVM"), features in 0x40000001 (kvmclock through
 * the new MSRs, and its stable bit), the wall clock and per-vCPU system time structures the guest
 * registers with MSR_KVM_WALL_CLOCK_NEW / MSR_KVM_SYSTEM_TIME_NEW, and the hypercall instruction
 * (vmcall or vmmcall), which implements no call: -KVM_ENOSYS, or -KVM_EPERM outside ring 0.
 * The TSC runs at a fixed rate (the platform's, util/tsc.h), so the time structure is written once
 * per registration with PVCLOCK_TSC_STABLE_BIT and stays right. */
#include <string.h>
#include <time.h>

#include "accel/soft/cpu.h"
#include "util/tsc.h"

#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2         (1u << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (1u << 24)
#define PVCLOCK_TSC_STABLE_BIT 1
#define KVM_ENOSYS 1000
#define KVM_EPERM  1

/* struct pvclock_vcpu_time_info and pvclock_wall_clock, as the guest reads them. */
struct pv_time {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags, pad[2];
};
struct pv_wall {
    uint32_t version, sec, nsec;
};

bool pv_kvm_on(const struct cpu *c)
{
    return c->model && c->model->kvm_pv == CPU_PV_ON;
}

bool pv_cpuid(const struct cpu *c, uint32_t leaf, uint32_t out[4])
{
    if (!pv_kvm_on(c) || (leaf != 0x40000000 && leaf != 0x40000001))
        return false;
    memset(out, 0, 4 * sizeof(out[0]));
    if (leaf == 0x40000000) {
        out[0] = 0x40000001;
        memcpy(&out[1], "KVMK", 4);
        memcpy(&out[2], "VMKV", 4);
        memcpy(&out[3], "M\0\0\0", 4);
    } else {
        out[0] = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
    }
    return true;
}

/* Guest-physical write, page by page; false where the range is not all RAM. */
static bool phys_write(struct cpu *c, uint64_t gpa, const void *src, size_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint8_t *host;
        bool writable;
        size_t n = 4096 - (gpa & 0xfff);
        if (n > len)
            n = len;
        if (c->env->phys_page(c, gpa & ~0xfffull, &host, &writable) != PHYS_RAM || !writable)
            return false;
        memcpy(host + (gpa & 0xfff), s, n);
        cpu_ram_written(c, host);
        gpa += n, s += n, len -= n;
    }
    return true;
}

/* ns = ((tsc << shift) * mul) >> 32 (pvclock_scale_delta), for a TSC at hz. */
void pv_tsc_scale(uint64_t hz, int8_t *shift, uint32_t *mul)
{
    int8_t sh = 0;
    uint64_t num = 1000000000ull, den = hz;
    while (den > num * 2 && sh > -31) {   /* keep mul below 2^32: ns per tick < 1 after the shift */
        num <<= 1;
        sh--;
    }
    while (num >= den && sh < 31) {
        den <<= 1;
        sh++;
    }
    *shift = sh;
    *mul = (uint32_t)(((unsigned __int128)num << 32) / den);
}

static uint64_t tsc_ns(uint64_t tsc)
{
    return (uint64_t)((unsigned __int128)tsc * 1000000000u / TSC_DEFAULT_HZ);
}

/* The version the structure at gpa holds now (0 where it is not RAM). */
static uint32_t old_version(struct cpu *c, uint64_t gpa)
{
    uint8_t *host;
    bool writable;
    uint32_t v = 0;
    if ((gpa & 0xfff) <= 4096 - sizeof(v) &&
        c->env->phys_page(c, gpa & ~0xfffull, &host, &writable) == PHYS_RAM)
        memcpy(&v, host + (gpa & 0xfff), sizeof(v));
    return v;
}

/* Odd version while writing, even when done, and never the one before: a guest reading
 * concurrently retries on an odd or changed version (pvclock_read_begin/retry). */
static void write_time(struct cpu *c, uint64_t gpa)
{
    struct pv_time t = { .version = (old_version(c, gpa) | 1) + 2 };
    if (!phys_write(c, gpa, &t.version, sizeof(t.version)))
        return;
    t.tsc_timestamp = cpu_rdtsc(c);
    t.system_time = tsc_ns(t.tsc_timestamp);
    pv_tsc_scale(TSC_DEFAULT_HZ, &t.tsc_shift, &t.tsc_to_system_mul);
    t.flags = PVCLOCK_TSC_STABLE_BIT;
    phys_write(c, gpa, &t, sizeof(t));
    t.version++;
    phys_write(c, gpa, &t.version, sizeof(t.version));
}

/* The wall-clock time at which system time was 0. */
static void write_wall(struct cpu *c, uint64_t gpa)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t wall = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec - tsc_ns(cpu_rdtsc(c));
    struct pv_wall w = { .version = (old_version(c, gpa) | 1) + 2 };
    if (!phys_write(c, gpa, &w.version, sizeof(w.version)))
        return;
    w.sec = (uint32_t)(wall / 1000000000u);
    w.nsec = (uint32_t)(wall % 1000000000u);
    phys_write(c, gpa, &w, sizeof(w));
    w.version++;
    phys_write(c, gpa, &w.version, sizeof(w.version));
}

int pv_msr_read(struct cpu *c, uint32_t msr, uint64_t *val)
{
    if (!pv_kvm_on(c))
        return 0;
    if (msr == MSR_KVM_SYSTEM_TIME_NEW)
        *val = c->kvm_system_time;
    else if (msr == MSR_KVM_WALL_CLOCK_NEW)
        *val = c->kvm_wall_clock;
    else
        return 0;
    return 1;
}

int pv_msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
    if (!pv_kvm_on(c) || (msr != MSR_KVM_SYSTEM_TIME_NEW && msr != MSR_KVM_WALL_CLOCK_NEW))
        return 0;
    if (msr == MSR_KVM_WALL_CLOCK_NEW) {
        c->kvm_wall_clock = v;
        write_wall(c, v);
        return 1;
    }
    c->kvm_system_time = v;
    if (v & 1)                 /* bit 0: enable; bits 63:1 the structure's address */
        write_time(c, v & ~1ull);
    return 1;
}

/* vmcall / vmmcall: rax = the call number on entry, its result on return. */
bool pv_hypercall(struct cpu *c)
{
    if (!pv_kvm_on(c))
        return false;
    c->gpr[R_RAX] = c->cpl ? (uint64_t)-KVM_EPERM : (uint64_t)-KVM_ENOSYS;
    return true;
}
