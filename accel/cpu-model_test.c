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
    struct cpu_model m;
    assert_int_equal(cpu_model_lookup("max", 3, &m), 0);
    assert_int_equal(m.vendor, CPU_VENDOR_INTEL);
    assert_true(m.all);
    assert_int_equal(cpu_model_lookup("amd", 3, &m), 0);
    assert_int_equal(m.vendor, CPU_VENDOR_AMD);
    assert_int_equal(cpu_model_signature(&m), 0x00a00f11);
    assert_int_equal(cpu_model_lookup("intel", 5, &m), 0);
    assert_int_equal(m.vendor, CPU_VENDOR_INTEL);
    assert_int_equal(cpu_model_signature(&m), 0x000506e3);
    assert_int_equal(cpu_model_lookup("host", 4, &m), 0);
    assert_int_equal(m.vendor, cpu_vendor_host());
    assert_string_equal(m.name, "host");
    assert_int_equal(cpu_model_lookup("hostile", 4, &m), 0);     /* only the first len bytes */
    assert_int_equal(cpu_model_lookup("hos", 3, &m), -EINVAL);
    assert_int_equal(cpu_model_lookup("Skylake", 7, &m), -EINVAL);
    assert_int_equal(cpu_model_lookup("qemu64", 6, &m), 0);
    assert_int_equal(m.vendor, CPU_VENDOR_AMD);
    assert_int_equal(cpu_model_signature(&m), 0x00060fb1);       /* family 15, model 107, stepping 1 */
    assert_int_equal(m.words[CPU_W1_ECX], (1u << 0) | (1u << 13) | (1u << 31));   /* pni cx16 hypervisor */
    assert_int_equal(cpu_model_lookup("Skylake-Client", 14, &m), 0);
    assert_int_equal(cpu_model_signature(&m), 0x000506e3);
    assert_string_equal(m.brand, "Intel Core Processor (Skylake)");
    assert_true(m.words[CPU_W7_EBX] & (1u << 5));                /* avx2 */
    assert_int_equal(cpu_model_lookup("EPYC", 4, &m), 0);
    assert_int_equal(cpu_model_signature(&m), 0x00800f12);       /* family 23, model 1, stepping 2 */
    assert_true(m.words[CPU_WX1_ECX] & (1u << 22));              /* topoext */
    assert_string_equal(cpu_vendor_name(CPU_VENDOR_AMD), "AuthenticAMD");
    assert_string_equal(cpu_vendor_name(CPU_VENDOR_INTEL), "GenuineIntel");
    char names[256];
    uint32_t w[CPU_WORDS] = { [CPU_W1_ECX] = 1u | (1u << 13), [CPU_WX1_ECX] = 1u << 5 };
    assert_int_equal(cpu_words_names(w, names, sizeof(names)), 3);
    assert_string_equal(names, "pni cx16 abm");
}

/* -smp 12,sockets=2,cores=3,threads=2: 1 thread bit, 2 core bits, the socket above. */
static void test_topology(void **state)
{
    (void)state;
    struct cpu_topology t = { 2, 3, 2 };
    assert_int_equal(cpu_topo_thread_bits(&t), 1);
    assert_int_equal(cpu_topo_core_bits(&t), 2);
    static const uint32_t want[12] = { 0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13 };
    for (int i = 0; i < 12; i++)
        assert_int_equal(cpu_topo_apic_id(&t, i), want[i]);
    struct cpu_topology flat = { 4, 1, 1 };
    for (int i = 0; i < 4; i++)
        assert_int_equal(cpu_topo_apic_id(&flat, i), i);
    struct cpu_topology two = { 2, 2, 1 };
    assert_int_equal(cpu_topo_apic_id(&two, 3), 3);
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
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_host_vendor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
