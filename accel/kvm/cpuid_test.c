/* --cpu-features edits to KVM's CPUID table (the names are tested in accel/cpu-model_test.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_apply) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
