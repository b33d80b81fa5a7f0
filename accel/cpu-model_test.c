/* The CPU model: vendor settings by name, the host's vendor, and the --cpu-features names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "accel/cpu-model.h"

static void test_parse(void **state)
{
    (void)state;
    struct cpuid_edit e[8];
    char err[128];
    assert_int_equal(cpuid_parse_features("-cx16,-xsave,+x2apic,sse4.2", e, 8, err, sizeof(err)), 4);
    assert_string_equal(e[0].feature->name, "cx16");
    assert_false(e[0].enable);
    assert_false(e[1].enable);
    assert_true(e[2].enable);
    assert_string_equal(e[3].feature->name, "sse4_2");
    assert_true(e[3].enable);
    assert_int_equal(cpuid_parse_features(NULL, e, 8, err, sizeof(err)), 0);
    assert_int_equal(cpuid_parse_features("", e, 8, err, sizeof(err)), 0);
    assert_int_equal(cpuid_parse_features("-cx16,-warp-drive", e, 8, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "unknown CPU feature 'warp-drive'");
    assert_int_equal(cpuid_parse_features("-cx16,,-xsave", e, 8, err, sizeof(err)), -EINVAL);
    assert_int_equal(cpuid_parse_features("-", e, 8, err, sizeof(err)), -EINVAL);
    assert_int_equal(cpuid_parse_features("a,b", e, 1, err, sizeof(err)), -EINVAL);
}

static void test_models(void **state)
{
    (void)state;
    enum cpu_vendor v = CPU_VENDOR_AMD;
    assert_int_equal(cpu_model_vendor("max", 3, &v), 0);
    assert_int_equal(v, CPU_VENDOR_INTEL);
    assert_int_equal(cpu_model_vendor("amd", 3, &v), 0);
    assert_int_equal(v, CPU_VENDOR_AMD);
    assert_int_equal(cpu_model_vendor("intel", 5, &v), 0);
    assert_int_equal(v, CPU_VENDOR_INTEL);
    assert_int_equal(cpu_model_vendor("host", 4, &v), 0);
    assert_int_equal(v, cpu_vendor_host());
    assert_int_equal(cpu_model_vendor("hostile", 4, &v), 0);     /* only the first len bytes */
    assert_int_equal(cpu_model_vendor("hos", 3, &v), -EINVAL);
    assert_int_equal(cpu_model_vendor("Skylake", 7, &v), -EINVAL);
    assert_string_equal(cpu_vendor_name(CPU_VENDOR_AMD), "AuthenticAMD");
    assert_string_equal(cpu_vendor_name(CPU_VENDOR_INTEL), "GenuineIntel");
}

/* The host's vendor as the kernel reports it. */
static void test_host_vendor(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256], want[64] = "";
    if (!f)
        skip();
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "vendor_id : %63s", want) == 1)
            break;
    fclose(f);
    if (!want[0])
        skip();
    assert_string_equal(cpu_vendor_name(cpu_vendor_host()), want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_host_vendor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
