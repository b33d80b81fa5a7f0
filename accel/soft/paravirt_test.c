/* KVM's paravirtual interface of the software CPU (paravirt.c) against Linux's reading of it
 * (Documentation/virt/kvm/x86/cpuid.rst, msr.rst; arch/x86/include/asm/pvclock.h): the pvclock
 * scale at several TSC rates, the CPUID leaves with kvm=on and off, the structures the kvmclock
 * MSRs fill in a fake guest RAM, and the hypercall's results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "accel/cpu-model.h"
#include "accel/soft/cpu.h"
#include "accel/soft/tb.h"
#include "util/tsc.h"

#define RAM_SIZE (64u << 10)
#define WALL_MSR 0x4b564d00u
#define TIME_MSR 0x4b564d01u
static uint8_t *ram;

static enum phys_kind fake_phys(struct cpu *c, uint64_t gpa, uint8_t **host, bool *writable)
{
    (void)c;
    if (gpa >= RAM_SIZE)
        return PHYS_MMIO;
    *host = ram + gpa;
    *writable = true;
    return PHYS_RAM;
}

static const struct cpu_env_ops env = { .phys_page = fake_phys };

static struct cpu *new_cpu(struct cpu_model *m, enum cpu_pv pv)
{
    cpu_model_default(CPU_VENDOR_INTEL, m);
    m->kvm_pv = pv;
    struct cpu *c = calloc(1, sizeof(*c));
    c->env = &env;
    c->pages = code_pages_new();
    c->vendor = CPU_VENDOR_INTEL;
    cpu_reset(c);
    c->model = m;
    return c;
}

static void free_cpu(struct cpu *c)
{
    code_pages_free(c->pages);
    free(c);
}

/* The guest's side: pvclock_scale_delta. */
static uint64_t scale(uint64_t ticks, int8_t shift, uint32_t mul)
{
    ticks = shift < 0 ? ticks >> -shift : ticks << shift;
    return (uint64_t)(((unsigned __int128)ticks * mul) >> 32);
}

static void test_scale(void **state)
{
    (void)state;
    static const uint64_t hz[] = { 1000000ull, 100000000ull, 1000000000ull, 2000000000ull,
                                   2399999000ull, 3000000000ull, 10000000000ull };
    for (size_t k = 0; k < sizeof(hz) / sizeof(hz[0]); k++) {
        int8_t shift;
        uint32_t mul;
        pv_tsc_scale(hz[k], &shift, &mul);
        assert_true(mul >= 0x80000000u);             /* full precision: the top bit used */
        /* One second and one hour of ticks: within 1 ppm of the true nanoseconds. */
        for (uint64_t secs = 1; secs <= 3600; secs *= 3600) {
            uint64_t ns = scale(hz[k] * secs, shift, mul), want = secs * 1000000000ull;
            uint64_t err = ns > want ? ns - want : want - ns;
            assert_true(err <= want / 1000000);
        }
    }
    int8_t shift;
    uint32_t mul;
    pv_tsc_scale(TSC_DEFAULT_HZ, &shift, &mul);       /* 2 GHz: half a nanosecond per tick */
    assert_int_equal(scale(2000000000ull, shift, mul), 1000000000ull);
}

static void test_cpuid(void **state)
{
    (void)state;
    struct cpu_model m;
    struct cpu *c = new_cpu(&m, CPU_PV_ON);
    uint32_t r[4];
    cpuid_query(c, 0x40000000, 0, r);
    assert_int_equal(r[0], 0x40000001);               /* the highest hypervisor leaf */
    char sig[13] = { 0 };
    memcpy(sig, &r[1], 12);
    assert_string_equal(sig, "KVMKVMKVM");
    cpuid_query(c, 0x40000001, 0, r);
    assert_int_equal(r[0], (1u << 3) | (1u << 24));  /* CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT */
    assert_int_equal(r[3], 0);                        /* no hints (KVM_HINTS_REALTIME off) */
    free_cpu(c);

    c = new_cpu(&m, CPU_PV_OFF);                      /* kvm=off: vmon's own signature */
    cpuid_query(c, 0x40000000, 0, r);
    memcpy(sig, &r[1], 12);
    assert_string_equal(sig, "vmonsoftcpu ");
    assert_int_equal(r[0], 0x40000000);
    free_cpu(c);
}

static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }
static uint64_t get64(uint64_t gpa) { uint64_t v; memcpy(&v, ram + gpa, 8); return v; }

static void test_system_time(void **state)
{
    (void)state;
    memset(ram, 0xaa, RAM_SIZE);
    struct cpu_model m;
    struct cpu *c = new_cpu(&m, CPU_PV_ON);
    uint64_t before = cpu_rdtsc(c);
    assert_true(msr_write(c, TIME_MSR, 0x2000 | 1));
    uint64_t after = cpu_rdtsc(c), v;
    assert_true(msr_read(c, TIME_MSR, &v));
    assert_int_equal(v, 0x2001);
    uint32_t version = get32(0x2000);
    assert_int_equal(version & 1, 0);                 /* even: complete */
    uint64_t ts = get64(0x2008), sys = get64(0x2010);
    assert_true(ts >= before && ts <= after);
    assert_int_equal(sys, (uint64_t)((unsigned __int128)ts * 1000000000u / TSC_DEFAULT_HZ));
    int8_t shift;
    uint32_t mul;
    pv_tsc_scale(TSC_DEFAULT_HZ, &shift, &mul);
    assert_int_equal(get32(0x2018), mul);
    assert_int_equal((int8_t)ram[0x201c], shift);
    assert_int_equal(ram[0x201d], 1);                 /* PVCLOCK_TSC_STABLE_BIT */
    assert_int_equal(ram[0x2020], 0xaa);              /* nothing past the 32-byte structure */
    assert_int_equal(ram[0x1fff], 0xaa);

    /* Registered again: a new, larger even version (a reader notices the change). */
    assert_true(msr_write(c, TIME_MSR, 0x2000 | 1));
    assert_true(get32(0x2000) > version && !(get32(0x2000) & 1));
    /* Bit 0 clear disables: nothing written. An address outside RAM is ignored, not a crash. */
    memset(ram + 0x3000, 0x55, 32);
    assert_true(msr_write(c, TIME_MSR, 0x3000));
    assert_int_equal(ram[0x3000], 0x55);
    assert_true(msr_write(c, TIME_MSR, (RAM_SIZE - 8) | 1));   /* runs off the end of RAM */
    assert_true(msr_write(c, TIME_MSR, 0xfffffffffffff001ull));
    free_cpu(c);
}

static void test_wall_clock(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu_model m;
    struct cpu *c = new_cpu(&m, CPU_PV_ON);
    assert_true(msr_write(c, WALL_MSR, 0x1004));
    assert_int_equal(get32(0x1004) & 1, 0);
    assert_true(get32(0x1004) != 0);
    /* Wall clock at system time 0, plus the system time now: the host's time, within a second. */
    uint64_t sys = (uint64_t)((unsigned __int128)cpu_rdtsc(c) * 1000000000u / TSC_DEFAULT_HZ);
    uint64_t guest_ns = (uint64_t)get32(0x1008) * 1000000000u + get32(0x100c) + sys;
    assert_true(get32(0x100c) < 1000000000u);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t diff = (int64_t)(guest_ns / 1000000000u) - (int64_t)now.tv_sec;
    assert_true(diff >= -1 && diff <= 1);
    uint64_t v;
    assert_true(msr_read(c, WALL_MSR, &v));
    assert_int_equal(v, 0x1004);
    free_cpu(c);
}

/* kvm=off: the MSRs are not there (#GP: msr_write false) and vmcall is #UD (pv_hypercall false). */
static void test_off(void **state)
{
    (void)state;
    memset(ram, 0, RAM_SIZE);
    struct cpu_model m;
    struct cpu *c = new_cpu(&m, CPU_PV_OFF);
    uint64_t v;
    assert_false(msr_write(c, TIME_MSR, 0x2001));
    assert_false(msr_read(c, WALL_MSR, &v));
    assert_int_equal(get32(0x2000), 0);
    assert_false(pv_hypercall(c));
    free_cpu(c);
}

static void test_hypercall(void **state)
{
    (void)state;
    struct cpu_model m;
    struct cpu *c = new_cpu(&m, CPU_PV_ON);
    c->gpr[R_RAX] = 5;                               /* KVM_HC_KICK_CPU: not implemented */
    c->cpl = 0;
    assert_true(pv_hypercall(c));
    assert_int_equal(c->gpr[R_RAX], (uint64_t)-1000);  /* -KVM_ENOSYS */
    c->gpr[R_RAX] = 5;
    c->cpl = 3;
    assert_true(pv_hypercall(c));
    assert_int_equal(c->gpr[R_RAX], (uint64_t)-1);     /* -KVM_EPERM outside ring 0 */
    free_cpu(c);
}

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM_SIZE);
    return ram ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_cpuid),
        cmocka_unit_test(test_system_time),
        cmocka_unit_test(test_wall_clock),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_hypercall),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
