/* --cpu-features edits to KVM's CPUID table (the names are tested in accel/cpu-model_test.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/kvm.h>

#include "accel/kvm/cpuid.h"

static void test_apply(void **state)
{
    (void)state;
    struct kvm_cpuid_entry2 t[3];
    memset(t, 0, sizeof(t));
    t[0].function = 1;
    t[0].ecx = (1u << 13) | (1u << 26) | (1u << 21);   /* cx16, xsave, x2apic */
    t[0].ebx = 0x00020800;
    t[1].function = 7;
    t[1].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    t[1].index = 0;
    t[1].ebx = 1u << 5;        /* avx2 */
    t[2].function = 0xb;
    struct cpuid_edit e[8];
    char err[128];
    int n = cpuid_parse_features("-cx16,-xsave,+x2apic,-avx2", e, 8, err, sizeof(err));
    assert_int_equal(cpuid_apply(t, 3, e, n, err, sizeof(err)), 0);
    assert_int_equal(t[0].ecx, 1u << 21);
    assert_int_equal(t[1].ebx, 0);
    n = cpuid_parse_features("+avx2", e, 8, err, sizeof(err));
    assert_int_equal(cpuid_apply(t, 3, e, n, err, sizeof(err)), -ENOTSUP);
    assert_non_null(strstr(err, "avx2"));
    struct cpu_model m;
    cpu_model_default(CPU_VENDOR_INTEL, &m);
    struct cpu_topology topo = { 2, 4, 1 };
    struct cpuid_src src = { &m, &topo, 5, NULL };
    cpuid_set_apic_id(t, 3, &src);
    assert_int_equal(t[0].ebx, 0x05020800);
    assert_int_equal(t[2].edx, 5);
    assert_int_equal(t[2].ebx, 1);             /* subleaf 0: one thread per core */
}

static struct kvm_cpuid2 *fake_kvm_table(void)
{
    struct kvm_cpuid2 *k = calloc(1, sizeof(*k) + 8 * sizeof(k->entries[0]));
    assert_non_null(k);
    struct kvm_cpuid_entry2 *e = k->entries;
    e[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f, .ebx = 0x756e6547 };
    e[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x000906ea, .ebx = 0x00100800,
                                      .ecx = 0xf7fa3223, .edx = 0x0f8bfbff };
    e[2] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                      .eax = 0x1c004121 };
    e[3] = (struct kvm_cpuid_entry2){ .function = 7, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                      .ebx = 0x029c6fbf };
    e[4] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                      .eax = 1, .ebx = 2, .ecx = 0x100 };
    e[5] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008 };
    e[6] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 0x00000121, .edx = 0x2c100800 };
    e[7] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3027 };
    k->nent = 8;
    return k;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *t, uint32_t fn, uint32_t idx)
{
    for (uint32_t i = 0; i < t->nent; i++)
        if (t->entries[i].function == fn && t->entries[i].index == idx)
            return &t->entries[i];
    return NULL;
}

/* A named model over an Intel host's table: vendor, signature, features KVM and the model share,
 * the highest leaves, the model's caches and the topology's leaves. */
static void test_model(void **state)
{
    (void)state;
    struct kvm_cpuid2 *k = fake_kvm_table();
    struct cpu_model m;
    assert_int_equal(cpu_model_lookup("EPYC", 4, &m), 0);
    struct cpu_topology topo = { 2, 2, 1 };
    struct cpuid_src src = { &m, &topo, 0, NULL };
    struct kvm_cpuid2 *t = cpuid_apply_model(k, &src);
    assert_non_null(t);
    const struct kvm_cpuid_entry2 *e = find(t, 0, 0);
    assert_int_equal(e->eax, 0xd);
    assert_memory_equal(&e->ebx, "Auth", 4);
    e = find(t, 1, 0);
    assert_int_equal(e->eax, 0x00800f12);
    assert_int_equal((e->ebx >> 16) & 0xff, 2);
    assert_true(e->edx & (1u << 28));                   /* HT: 2 cores per package */
    assert_int_equal(e->ecx & (1u << 21), 0);          /* x2apic: not EPYC's */
    assert_true(e->ecx & (1u << 28));                   /* avx: EPYC's and KVM's */
    assert_null(find(t, 4, 0));                         /* Intel's cache leaf dropped */
    e = find(t, 0xb, 1);
    assert_non_null(e);
    assert_int_equal(e->ebx, 2);
    e = find(t, 0x80000000, 0);
    assert_int_equal(e->eax, 0x80000008);              /* KVM's, below EPYC's 0x8000001e */
    assert_null(find(t, 0x8000001e, 0));                /* so no TopoExt leaves */
    e = find(t, 0x80000008, 0);
    assert_int_equal(e->eax, 0x3027);                  /* KVM's address sizes */
    assert_int_equal(e->ecx, 1u | (1u << 12));
    src.apic_id = 3;
    cpuid_set_apic_id(t->entries, (int)t->nent, &src);
    assert_int_equal(find(t, 1, 0)->ebx >> 24, 3);
    assert_int_equal(find(t, 0xb, 0)->edx, 3);
    free(t);

    /* max: the host's CPUID, but for the topology. */
    cpu_model_default(CPU_VENDOR_INTEL, &m);
    t = cpuid_apply_model(k, &src);
    assert_int_equal(find(t, 1, 0)->eax, 0x000906ea);
    assert_int_equal(find(t, 1, 0)->ecx, 0xf7fa3223);
    e = find(t, 4, 0);
    assert_int_equal(e->eax & 0x3fff, 0x121);
    assert_int_equal(e->eax >> 26, 1);                  /* 2 cores per package */
    assert_non_null(find(t, 0x1f, 1));
    free(t);
    free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_apply), cmocka_unit_test(test_model) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
