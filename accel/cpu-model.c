/* The CPU a guest sees, for both accelerators and the CLI: the named models, the -smp topology's
 * APIC ids, the vendor setting and the CPUID feature names (Intel SDM vol. 2A, CPUID, tables
 * 3-10/3-11 and leaf 07H; AMD APM vol. 3, appendix E, CPUID Fn0000_0000 and Fn8000_0001). */
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

/* The models (QEMU 7.2's definitions for qemu64, Skylake-Client and EPYC, read back with
 * query-cpu-model-expansion; its "arat" and the other non-CPUID properties left out). max is a Skylake
 * client part offering everything; Skylake-Client says 0x16 as its highest basic leaf, as the silicon
 * does (QEMU says 0xd), so Linux takes the TSC frequency from leaf 0x15 on it too. */
struct model_def {
    const char *name;
    enum cpu_vendor vendor;
    unsigned family, model, stepping;
    uint32_t level, xlevel;
    const char *features;      /* NULL: all the accelerator has */
    struct cpu_cache cache;
    const char *brand;
};

#define BASE_FEATURES "fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush " \
                      "mmx fxsr sse sse2 "

static const struct model_def models[] = {
    { "max", CPU_VENDOR_INTEL, 6, 94, 3, 0x1f, 0x80000008, NULL,
      { 32, 32, 256, 8192, 8, 8, 4, 16 }, "vmon software CPU" },
    { "amd", CPU_VENDOR_AMD, 0x19, 1, 1, 0x10, 0x8000001e, NULL,
      { 32, 32, 512, 32768, 8, 8, 8, 16 }, "vmon software CPU" },
    { "qemu64", CPU_VENDOR_AMD, 15, 107, 1, 0xd, 0x8000000a,
      BASE_FEATURES "pni cx16 hypervisor syscall nx lm lahf_lm svm",
      { 64, 64, 512, 16384, 2, 2, 16, 16 }, "QEMU Virtual CPU version 2.5+" },
    { "Skylake-Client", CPU_VENDOR_INTEL, 6, 94, 3, 0x16, 0x80000008,
      BASE_FEATURES "pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt "
      "tsc_deadline_timer aes xsave avx f16c rdrand hypervisor fsgsbase bmi1 hle avx2 smep bmi2 erms "
      "invpcid rtm rdseed adx smap xsaveopt xsavec xgetbv1 syscall nx rdtscp lm lahf_lm abm "
      "3dnowprefetch",
      { 32, 32, 4096, 16384, 8, 8, 16, 16 }, "Intel Core Processor (Skylake)" },
    { "EPYC", CPU_VENDOR_AMD, 23, 1, 2, 0xd, 0x8000001e,
      BASE_FEATURES "pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c "
      "rdrand hypervisor fsgsbase bmi1 avx2 smep bmi2 rdseed adx smap clflushopt sha_ni xsaveopt "
      "xsavec xgetbv1 syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm lahf_lm svm cr8_legacy abm sse4a "
      "misalignsse 3dnowprefetch osvw topoext",
      { 32, 64, 512, 8192, 8, 4, 8, 16 }, "AMD EPYC Processor" },
};

static const struct cpu_feature *cpu_feature_find(const char *name, size_t len);

/* Set the bits of a space-separated feature list; -EINVAL for a name the feature table lacks. */
static int words_from_names(const char *list, uint32_t words[CPU_WORDS])
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, " ");
        const struct cpu_feature *f = len ? cpu_feature_find(p, len) : NULL;
        int w = f ? cpu_word_of(f->leaf, f->subleaf, f->reg) : -1;
        if (w < 0)
            return -EINVAL;
        words[w] |= 1u << f->bit;
        p += len + (p[len] == ' ');
    }
    return 0;
}

static int model_resolve(const struct model_def *d, struct cpu_model *m)
{
    *m = (struct cpu_model){ .name = d->name, .vendor = d->vendor, .family = d->family,
                             .model = d->model, .stepping = d->stepping, .level = d->level,
                             .xlevel = d->xlevel, .all = !d->features, .cache = d->cache,
                             .brand = d->brand };
    return d->features ? words_from_names(d->features, m->words) : 0;
}

void cpu_model_default(enum cpu_vendor v, struct cpu_model *m)
{
    model_resolve(&models[v == CPU_VENDOR_AMD ? 1 : 0], m);
}

int cpu_model_lookup(const char *name, size_t len, struct cpu_model *m)
{
    if (len == 4 && !strncmp(name, "host", 4)) {
        cpu_model_default(cpu_vendor_host(), m);
        m->name = "host";
        return 0;
    }
    if (len == 5 && !strncmp(name, "intel", 5)) {
        cpu_model_default(CPU_VENDOR_INTEL, m);
        return 0;
    }
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        if (strlen(models[i].name) == len && !strncmp(models[i].name, name, len))
            return model_resolve(&models[i], m);
    return -EINVAL;
}

uint32_t cpu_model_signature(const struct cpu_model *m)
{
    uint32_t fam = m->family > 15 ? (0xfu << 8) | ((m->family - 15) << 20) : m->family << 8;
    return fam | ((m->model & 0xf) << 4) | ((m->model >> 4) << 16) | (m->stepping & 0xf);
}

/* ---- topology ---- */

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

unsigned cpu_topo_thread_bits(const struct cpu_topology *t)
{
    return bits_for(t->threads);
}

unsigned cpu_topo_core_bits(const struct cpu_topology *t)
{
    return bits_for(t->cores);
}

uint32_t cpu_topo_apic_id(const struct cpu_topology *t, int index)
{
    unsigned i = (unsigned)index, tb = cpu_topo_thread_bits(t), cb = cpu_topo_core_bits(t);
    unsigned thread = i % t->threads, core = (i / t->threads) % t->cores;
    unsigned socket = i / (t->threads * t->cores);
    return (socket << (tb + cb)) | (core << tb) | thread;
}

/* ---- feature names ---- */

const struct cpu_word_loc cpu_words[CPU_WORDS] = {
    [CPU_W1_EDX] = { 1, 0, CPUID_EDX },           [CPU_W1_ECX] = { 1, 0, CPUID_ECX },
    [CPU_W7_EBX] = { 7, 0, CPUID_EBX },           [CPU_W7_ECX] = { 7, 0, CPUID_ECX },
    [CPU_W7_EDX] = { 7, 0, CPUID_EDX },           [CPU_WD1_EAX] = { 0xd, 1, CPUID_EAX },
    [CPU_WX1_EDX] = { 0x80000001, 0, CPUID_EDX }, [CPU_WX1_ECX] = { 0x80000001, 0, CPUID_ECX },
};

int cpu_word_of(uint32_t leaf, uint32_t subleaf, enum cpuid_reg reg)
{
    for (int w = 0; w < CPU_WORDS; w++)
        if (cpu_words[w].leaf == leaf && cpu_words[w].subleaf == subleaf && cpu_words[w].reg == reg)
            return w;
    return -1;
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
    { "lm", LX1, CPUID_EDX, 29 },       { "mmxext", LX1, CPUID_EDX, 22 },
    { "fxsr_opt", LX1, CPUID_EDX, 25 }, { "cmp_legacy", LX1, CPUID_ECX, 1 },
    { "svm", LX1, CPUID_ECX, 2 },       { "cr8_legacy", LX1, CPUID_ECX, 4 },
    { "misalignsse", LX1, CPUID_ECX, 7 }, { "osvw", LX1, CPUID_ECX, 9 },
    { "topoext", LX1, CPUID_ECX, 22 },
    { "spec_ctrl", L7, CPUID_EDX, 26 }, { "stibp", L7, CPUID_EDX, 27 },
    { "arch_capabilities", L7, CPUID_EDX, 29 },
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

int cpu_words_names(const uint32_t words[CPU_WORDS], char *buf, size_t len)
{
    int n = 0;
    size_t off = 0;
    uint32_t seen[CPU_WORDS] = { 0 };   /* aliases (pni/sse3, abm/lzcnt) once */
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        const struct cpu_feature *f = &features[i];
        int w = cpu_word_of(f->leaf, f->subleaf, f->reg);
        uint32_t b = 1u << f->bit;
        if (w < 0 || !(words[w] & b) || (seen[w] & b))
            continue;
        seen[w] |= b;
        if (off < len) {
            int k = snprintf(buf + off, len - off, "%s%s", n ? " " : "", f->name);
            off += k > 0 ? (size_t)k : 0;
        }
        n++;
    }
    return n;
}
