/* The CPU a guest sees, for both accelerators and the CLI: the vendor setting and the CPUID feature
 * names (Intel SDM vol. 2A, CPUID, tables 3-10/3-11 and leaf 07H; AMD APM vol. 3, appendix E,
 * CPUID Fn0000_0000 and Fn8000_0001). */
#include "accel/cpu-model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum cpu_vendor cpu_vendor_host(void)
{
#if defined(__x86_64__)
    uint32_t a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x68747541u && d == 0x69746e65u && c == 0x444d4163u ? CPU_VENDOR_AMD : CPU_VENDOR_INTEL;
#else
    return CPU_VENDOR_INTEL;
#endif
}

const char *cpu_vendor_name(enum cpu_vendor v)
{
    return v == CPU_VENDOR_AMD ? "AuthenticAMD" : "GenuineIntel";
}

int cpu_model_vendor(const char *name, size_t len, enum cpu_vendor *v)
{
    static const struct { const char *name; int vendor; } models[] = {
        { "host", -1 }, { "max", CPU_VENDOR_INTEL }, { "intel", CPU_VENDOR_INTEL }, { "amd", CPU_VENDOR_AMD },
    };
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (strlen(models[i].name) != len || strncmp(models[i].name, name, len))
            continue;
        *v = models[i].vendor < 0 ? cpu_vendor_host() : (enum cpu_vendor)models[i].vendor;
        return 0;
    }
    return -EINVAL;
}

#define L1 0x1, 0
#define L7 0x7, 0
#define LD1 0xd, 1
#define LX1 0x80000001, 0

static const struct cpu_feature features[] = {
    { "fpu", L1, CPUID_EDX, 0 },        { "vme", L1, CPUID_EDX, 1 },
    { "de", L1, CPUID_EDX, 2 },         { "pse", L1, CPUID_EDX, 3 },
    { "tsc", L1, CPUID_EDX, 4 },        { "msr", L1, CPUID_EDX, 5 },
    { "pae", L1, CPUID_EDX, 6 },        { "mce", L1, CPUID_EDX, 7 },
    { "cx8", L1, CPUID_EDX, 8 },        { "apic", L1, CPUID_EDX, 9 },
    { "sep", L1, CPUID_EDX, 11 },       { "mtrr", L1, CPUID_EDX, 12 },
    { "pge", L1, CPUID_EDX, 13 },       { "mca", L1, CPUID_EDX, 14 },
    { "cmov", L1, CPUID_EDX, 15 },      { "pat", L1, CPUID_EDX, 16 },
    { "pse36", L1, CPUID_EDX, 17 },     { "clflush", L1, CPUID_EDX, 19 },
    { "mmx", L1, CPUID_EDX, 23 },       { "fxsr", L1, CPUID_EDX, 24 },
    { "sse", L1, CPUID_EDX, 25 },       { "sse2", L1, CPUID_EDX, 26 },
    { "ss", L1, CPUID_EDX, 27 },        { "ht", L1, CPUID_EDX, 28 },
    { "pni", L1, CPUID_ECX, 0 },        { "sse3", L1, CPUID_ECX, 0 },
    { "pclmulqdq", L1, CPUID_ECX, 1 },  { "monitor", L1, CPUID_ECX, 3 },
    { "vmx", L1, CPUID_ECX, 5 },        { "ssse3", L1, CPUID_ECX, 9 },
    { "fma", L1, CPUID_ECX, 12 },       { "cx16", L1, CPUID_ECX, 13 },
    { "pdcm", L1, CPUID_ECX, 15 },      { "pcid", L1, CPUID_ECX, 17 },
    { "sse4_1", L1, CPUID_ECX, 19 },    { "sse4_2", L1, CPUID_ECX, 20 },
    { "x2apic", L1, CPUID_ECX, 21 },    { "movbe", L1, CPUID_ECX, 22 },
    { "popcnt", L1, CPUID_ECX, 23 },    { "tsc_deadline_timer", L1, CPUID_ECX, 24 },
    { "tsc_deadline", L1, CPUID_ECX, 24 }, { "aes", L1, CPUID_ECX, 25 },
    { "xsave", L1, CPUID_ECX, 26 },     { "avx", L1, CPUID_ECX, 28 },
    { "f16c", L1, CPUID_ECX, 29 },      { "rdrand", L1, CPUID_ECX, 30 },
    { "hypervisor", L1, CPUID_ECX, 31 },
    { "fsgsbase", L7, CPUID_EBX, 0 },   { "bmi1", L7, CPUID_EBX, 3 },
    { "hle", L7, CPUID_EBX, 4 },        { "avx2", L7, CPUID_EBX, 5 },
    { "smep", L7, CPUID_EBX, 7 },       { "bmi2", L7, CPUID_EBX, 8 },
    { "erms", L7, CPUID_EBX, 9 },       { "invpcid", L7, CPUID_EBX, 10 },
    { "rtm", L7, CPUID_EBX, 11 },       { "avx512f", L7, CPUID_EBX, 16 },
    { "avx512dq", L7, CPUID_EBX, 17 },  { "rdseed", L7, CPUID_EBX, 18 },
    { "adx", L7, CPUID_EBX, 19 },       { "smap", L7, CPUID_EBX, 20 },
    { "clflushopt", L7, CPUID_EBX, 23 }, { "clwb", L7, CPUID_EBX, 24 },
    { "avx512cd", L7, CPUID_EBX, 28 },  { "sha_ni", L7, CPUID_EBX, 29 },
    { "avx512bw", L7, CPUID_EBX, 30 },  { "avx512vl", L7, CPUID_EBX, 31 },
    { "umip", L7, CPUID_ECX, 2 },       { "pku", L7, CPUID_ECX, 3 },
    { "vaes", L7, CPUID_ECX, 9 },       { "vpclmulqdq", L7, CPUID_ECX, 10 },
    { "la57", L7, CPUID_ECX, 16 },      { "rdpid", L7, CPUID_ECX, 22 },
    { "fsrm", L7, CPUID_EDX, 4 },       { "serialize", L7, CPUID_EDX, 14 },
    { "xsaveopt", LD1, CPUID_EAX, 0 },  { "xsavec", LD1, CPUID_EAX, 1 },
    { "xgetbv1", LD1, CPUID_EAX, 2 },   { "xsaves", LD1, CPUID_EAX, 3 },
    { "lahf_lm", LX1, CPUID_ECX, 0 },   { "abm", LX1, CPUID_ECX, 5 },
    { "lzcnt", LX1, CPUID_ECX, 5 },     { "sse4a", LX1, CPUID_ECX, 6 },
    { "3dnowprefetch", LX1, CPUID_ECX, 8 },
    { "syscall", LX1, CPUID_EDX, 11 },  { "nx", LX1, CPUID_EDX, 20 },
    { "pdpe1gb", LX1, CPUID_EDX, 26 },  { "rdtscp", LX1, CPUID_EDX, 27 },
    { "lm", LX1, CPUID_EDX, 29 },
};

static char fold(char c)
{
    return c == '-' || c == '.' ? '_' : c;
}

static const struct cpu_feature *cpu_feature_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        const char *f = features[i].name;
        if (strlen(f) != len)
            continue;
        size_t k = 0;
        while (k < len && fold(name[k]) == f[k])
            k++;
        if (k == len)
            return &features[i];
    }
    return NULL;
}

int cpuid_parse_features(const char *spec, struct cpuid_edit *edits, int max, char *err, size_t errlen)
{
    int n = 0;
    const char *p = spec;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool enable = true;
        const char *name = p;
        if (len && (*name == '-' || *name == '+')) {
            enable = *name == '+';
            name++;
            len--;
        }
        const struct cpu_feature *f = len ? cpu_feature_find(name, len) : NULL;
        if (!f) {
            snprintf(err, errlen, "unknown CPU feature '%.*s'", (int)len, name);
            return -EINVAL;
        }
        if (n == max) {
            snprintf(err, errlen, "too many CPU features (at most %d)", max);
            return -EINVAL;
        }
        edits[n++] = (struct cpuid_edit){ f, enable };
        p = end ? end + 1 : NULL;
    }
    return n;
}
