/* The software CPU's CPUID for each named model (accel/cpu-model.h), leaf by leaf, against the
 * recording accel/soft/cpuid_test.rec (VMON_RECORD=1 rewrites it after a deliberate change), and the
 * facts each model stands for: vendor, family/model/stepping, features, caches, topology. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/cpu-model.h"
#include "accel/soft/cpu.h"

#define RECORDING "accel/soft/cpuid_test.rec"

static const char *const model_names[] = { "max", "amd", "qemu64", "Skylake-Client", "EPYC" };

/* Leaves and how many subleaves of each the recording holds. */
static const struct { uint32_t leaf, nsub; } leaves[] = {
    { 0, 1 }, { 1, 1 }, { 4, 5 }, { 7, 1 }, { 0xb, 3 }, { 0xd, 2 }, { 0x15, 1 }, { 0x16, 1 },
    { 0x1f, 3 }, { 0x40000000, 1 }, { 0x80000000, 1 }, { 0x80000001, 1 }, { 0x80000002, 1 },
    { 0x80000003, 1 }, { 0x80000004, 1 }, { 0x80000005, 1 }, { 0x80000006, 1 }, { 0x80000007, 1 },
    { 0x80000008, 1 }, { 0x8000001d, 5 }, { 0x8000001e, 1 },
};

struct probe {
    struct cpu *c;
    struct cpu_model m;
    struct cpu_topology t;
};

/* vCPU index of a model under topology t. */
static void probe_init(struct probe *p, const char *name, struct cpu_topology t, int index)
{
    assert_int_equal(cpu_model_lookup(name, strlen(name), &p->m), 0);
    p->t = t;
    p->c = calloc(1, sizeof(*p->c));
    assert_non_null(p->c);
    p->c->model = &p->m;
    p->c->vendor = p->m.vendor;
    p->c->topo = &p->t;
    p->c->apic_id = cpu_topo_apic_id(&t, index);
}

static void cpuid(struct probe *p, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    cpuid_query(p->c, leaf, sub, out);
}

/* Each model alone, and its last vCPU under -smp 4,sockets=2,cores=2, one line per subleaf. */
static size_t dump(char *buf, size_t cap)
{
    static const struct { struct cpu_topology t; int index; const char *label; } topos[] = {
        { { 1, 1, 1 }, 0, "1" }, { { 2, 2, 1 }, 3, "s2c2#3" },
    };
    size_t off = 0;
    for (size_t m = 0; m < sizeof(model_names) / sizeof(model_names[0]); m++) {
        for (size_t k = 0; k < 2; k++) {
            struct probe p;
            probe_init(&p, model_names[m], topos[k].t, topos[k].index);
            for (size_t l = 0; l < sizeof(leaves) / sizeof(leaves[0]); l++) {
                for (uint32_t sub = 0; sub < leaves[l].nsub; sub++) {
                    uint32_t r[4];
                    cpuid(&p, leaves[l].leaf, sub, r);
                    int n = snprintf(buf + off, cap - off, "%s %s %08x.%u: %08x %08x %08x %08x\n",
                                     model_names[m], topos[k].label, leaves[l].leaf, sub, r[0], r[1],
                                     r[2], r[3]);
                    assert_true(n > 0 && (size_t)n < cap - off);
                    off += (size_t)n;
                }
            }
            free(p.c);
        }
    }
    return off;
}

static void test_recording(void **state)
{
    (void)state;
    static char now[64 * 1024], rec[64 * 1024];
    size_t n = dump(now, sizeof(now));
    const char *record = getenv("VMON_RECORD");
    if (record && *record) {
        FILE *f = fopen(RECORDING, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(now, 1, n, f), n);
        fclose(f);
    }
    FILE *f = fopen(RECORDING, "r");
    if (!f)
        fail_msg("%s: %s (run from the source tree)", RECORDING, strerror(errno));
    size_t r = fread(rec, 1, sizeof(rec) - 1, f);
    fclose(f);
    rec[r] = 0;
    if (r == n && !memcmp(now, rec, n))
        return;
    /* The first line that differs. */
    const char *a = now, *b = rec;
    while (*a && *a == *b) {
        const char *na = strchr(a, '\n'), *nb = strchr(b, '\n');
        if (!na || !nb || na - a != nb - b || memcmp(a, b, (size_t)(na - a)))
            break;
        a = na + 1;
        b = nb + 1;
    }
    fail_msg("CPUID differs from %s:\n  now:      %.*s\n  recorded: %.*s", RECORDING,
             (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
}

static void vendor_of(struct probe *p, char v[13])
{
    uint32_t r[4];
    cpuid(p, 0, 0, r);
    memcpy(v, &r[1], 4);
    memcpy(v + 4, &r[3], 4);
    memcpy(v + 8, &r[2], 4);
    v[12] = 0;
}

static void brand_of(struct probe *p, char b[49])
{
    for (uint32_t i = 0; i < 3; i++)
        cpuid(p, 0x80000002 + i, 0, (uint32_t *)(void *)(b + 16 * i));
    b[48] = 0;
}

/* Family and model as Linux computes them (arch/x86/lib/cpu.c). */
static void fms(struct probe *p, unsigned *family, unsigned *model, unsigned *stepping)
{
    uint32_t r[4];
    cpuid(p, 1, 0, r);
    *family = (r[0] >> 8) & 0xf;
    if (*family == 0xf)
        *family += (r[0] >> 20) & 0xff;
    *model = (r[0] >> 4) & 0xf;
    if (*family >= 6)
        *model += ((r[0] >> 16) & 0xf) << 4;
    *stepping = r[0] & 0xf;
}

static void test_facts(void **state)
{
    (void)state;
    static const struct {
        const char *name, *vendor, *brand;
        unsigned family, model, stepping;
        uint32_t ecx_has, ecx_lacks;   /* leaf 1 ECX */
    } facts[] = {
        /* sse3 cx16 hypervisor; no ssse3, popcnt, x2apic */
        { "qemu64", "AuthenticAMD", "QEMU Virtual CPU version 2.5+", 15, 107, 1,
          (1u << 0) | (1u << 13) | (1u << 31), (1u << 9) | (1u << 23) | (1u << 21) },
        /* ssse3 sse4.2 x2apic popcnt tsc-deadline; avx left out (not implemented) */
        { "Skylake-Client", "GenuineIntel", "Intel Core Processor (Skylake)", 6, 94, 3,
          (1u << 9) | (1u << 20) | (1u << 21) | (1u << 23) | (1u << 24), 1u << 28 },
        /* ssse3 popcnt; no tsc-deadline (EPYC lacks it), avx and aes left out */
        { "EPYC", "AuthenticAMD", "AMD EPYC Processor", 23, 1, 2,
          (1u << 9) | (1u << 23), (1u << 24) | (1u << 28) | (1u << 25) },
        { "max", "GenuineIntel", "vmon software CPU", 6, 94, 3,
          (1u << 9) | (1u << 20) | (1u << 21) | (1u << 23) | (1u << 24), 1u << 28 },
    };
    for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
        struct probe p;
        probe_init(&p, facts[i].name, (struct cpu_topology){ 1, 1, 1 }, 0);
        char v[13], b[49];
        unsigned f, m, s;
        vendor_of(&p, v);
        brand_of(&p, b);
        fms(&p, &f, &m, &s);
        assert_string_equal(v, facts[i].vendor);
        assert_string_equal(b, facts[i].brand);
        assert_int_equal(f, facts[i].family);
        assert_int_equal(m, facts[i].model);
        assert_int_equal(s, facts[i].stepping);
        uint32_t r[4];
        cpuid(&p, 1, 0, r);
        assert_int_equal(r[2] & facts[i].ecx_has, facts[i].ecx_has);
        assert_int_equal(r[2] & facts[i].ecx_lacks, 0);
        assert_int_equal(r[3] & (1u << 28), 0);                    /* HT: one CPU */
        free(p.c);
    }
    struct probe p;
    probe_init(&p, "host", (struct cpu_topology){ 1, 1, 1 }, 0);
    char v[13];
    vendor_of(&p, v);
    assert_string_equal(v, cpu_vendor_name(cpu_vendor_host()));
    free(p.c);
}

/* A model with 5-level paging reports 57 linear-address bits in 0x80000008 EAX[15:8], else 48;
 * "-la57" takes both back (Linux's canonical checks follow that width: x86_virt_bits). */
static void test_linear_width(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof(model_names) / sizeof(model_names[0]); m++) {
        struct probe p;
        probe_init(&p, model_names[m], (struct cpu_topology){ 1, 1, 1 }, 0);
        uint32_t l7[4], x8[4];
        cpuid(&p, 7, 0, l7);
        cpuid(&p, 0x80000008, 0, x8);
        assert_int_equal((x8[0] >> 8) & 0xff, (l7[2] & CPUID_7_ECX_LA57) ? 57 : 48);
        assert_int_equal(x8[0] & 0xff, 40);                        /* physical bits unchanged */
        free(p.c);
    }
    struct probe p;
    probe_init(&p, "max", (struct cpu_topology){ 1, 1, 1 }, 0);
    uint32_t r[4];
    cpuid(&p, 0x80000008, 0, r);
    assert_int_equal((r[0] >> 8) & 0xff, 57);
    struct cpuid_edit e[4];
    char err[128];
    int n = cpuid_parse_features("-la57", e, 4, err, sizeof(err));
    assert_int_equal(n, 1);
    p.c->cpuid_edits = e;
    p.c->ncpuid_edits = n;
    cpuid(&p, 7, 0, r);
    assert_int_equal(r[2] & CPUID_7_ECX_LA57, 0);
    cpuid(&p, 0x80000008, 0, r);
    assert_int_equal((r[0] >> 8) & 0xff, 48);
    free(p.c);
}

/* -smp 8,sockets=2,cores=2,threads=2, vCPU 7 (socket 1, core 1, thread 1: APIC id 7). */
static void test_topology(void **state)
{
    (void)state;
    struct probe p;
    uint32_t r[4];
    probe_init(&p, "Skylake-Client", (struct cpu_topology){ 2, 2, 2 }, 6);
    assert_int_equal(p.c->apic_id, 6);
    cpuid(&p, 1, 0, r);
    assert_int_equal(r[1] >> 24, 6);
    assert_int_equal((r[1] >> 16) & 0xff, 4);                      /* logical per package */
    assert_true(r[3] & (1u << 28));                                 /* HT */
    cpuid(&p, 0xb, 0, r);
    assert_int_equal(r[0], 1);                                      /* shift to the core id */
    assert_int_equal(r[1], 2);
    assert_int_equal((r[2] >> 8) & 0xff, 1);                        /* SMT level */
    assert_int_equal(r[3], 6);
    cpuid(&p, 0xb, 1, r);
    assert_int_equal(r[0], 2);                                      /* shift to the package id */
    assert_int_equal(r[1], 4);
    assert_int_equal((r[2] >> 8) & 0xff, 2);                        /* core level */
    cpuid(&p, 0xb, 2, r);
    assert_int_equal((r[2] >> 8) & 0xff, 0);
    cpuid(&p, 4, 0, r);
    assert_int_equal(r[0] >> 26, 1);                                /* 2 cores per package */
    assert_int_equal((r[0] >> 14) & 0xfff, 1);                      /* L1d: 2 threads */
    cpuid(&p, 4, 3, r);
    assert_int_equal((r[0] >> 5) & 7, 3);
    assert_int_equal((r[0] >> 14) & 0xfff, 3);                      /* L3: the package */
    free(p.c);

    probe_init(&p, "EPYC", (struct cpu_topology){ 2, 2, 1 }, 3);
    cpuid(&p, 0x8000001e, 0, r);
    assert_int_equal(r[0], 3);
    assert_int_equal(r[1], 1);                                      /* core 1, one thread */
    assert_int_equal(r[2], 1);                                      /* node (socket) 1 */
    cpuid(&p, 0x80000008, 0, r);
    assert_int_equal(r[2], 1u | (1u << 12));                        /* 2 threads, 1 id bit */
    cpuid(&p, 0x80000001, 0, r);
    assert_true(r[2] & (1u << 1));                                  /* CmpLegacy */
    cpuid(&p, 4, 0, r);
    assert_int_equal(r[0], 0);                                      /* Intel's leaf */
    free(p.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recording),
        cmocka_unit_test(test_facts),
        cmocka_unit_test(test_linear_width),
        cmocka_unit_test(test_topology),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
