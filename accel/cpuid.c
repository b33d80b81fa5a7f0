/* CPUID from a model and a topology (Intel SDM vol. 2A, CPUID: leaves 01H, 04H, 07H, 0BH, 1FH;
 * AMD APM vol. 3, appendix E: Fn8000_0001, _0005, _0006, _0008, _001D, _001E), shared by the
 * software CPU and the KVM accelerator, which fill what else they offer around it. */
#include "accel/cpuid.h"

#include <string.h>

#define HT_BIT (1u << 28)              /* leaf 1 EDX */
#define CMP_LEGACY_BIT (1u << 1)       /* 0x80000001 ECX */
#define TOPOEXT_BIT (1u << 22)         /* 0x80000001 ECX */
/* AMD's 0x80000001 EDX repeats leaf 1 EDX bits 0-9, 12-17, 23 and 24 (APM vol. 3, E.3.6). */
#define AMD_X1_MIRROR (0x3ffu | (0x3fu << 12) | (3u << 23))

uint32_t cpuid_model_word(const struct cpuid_src *s, enum cpu_word w)
{
    return s->model->all ? s->have[w] : s->model->words[w] & s->have[w];
}

static bool amd(const struct cpuid_src *s)
{
    return s->model->vendor == CPU_VENDOR_AMD;
}

static unsigned logical_per_package(const struct cpuid_src *s)
{
    return s->topo->cores * s->topo->threads;
}

static void put_string(uint32_t out[4], const char *v)   /* the 12-byte vendor in ebx, edx, ecx */
{
    memcpy(&out[1], v, 4);
    memcpy(&out[3], v + 4, 4);
    memcpy(&out[2], v + 8, 4);
}

/* Leaf 4 / 0x8000001D subleaf sub: L1d, L1i, L2, L3, then none. */
static void cache_desc(const struct cpuid_src *s, uint32_t sub, bool amd_leaf, uint32_t out[4])
{
    const struct cpu_cache *k = &s->model->cache;
    static const uint8_t type[4] = { 1, 2, 3, 3 }, level[4] = { 1, 1, 2, 3 };
    uint32_t kb[4] = { k->l1d_kb, k->l1i_kb, k->l2_kb, k->l3_kb };
    uint32_t ways[4] = { k->l1d_ways, k->l1i_ways, k->l2_ways, k->l3_ways };
    unsigned tb = cpu_topo_thread_bits(s->topo), cb = cpu_topo_core_bits(s->topo);
    if (sub > 3 || !kb[sub] || !ways[sub])
        return;
    uint32_t sharing = sub == 3 ? 1u << (tb + cb) : 1u << tb;   /* addressable ids sharing it */
    out[0] = type[sub] | (uint32_t)level[sub] << 5 | 1u << 8 | (sharing - 1) << 14;
    if (!amd_leaf)
        out[0] |= ((1u << cb) - 1) << 26;
    out[1] = 63 | (ways[sub] - 1) << 22;
    out[2] = kb[sub] * 1024 / (64 * ways[sub]) - 1;
}

/* AMD's 4-bit associativity code (APM vol. 3, E.4.5, Fn8000_0006). */
static uint32_t amd_assoc(unsigned ways)
{
    static const struct { uint8_t ways, code; } t[] = {
        { 1, 1 }, { 2, 2 }, { 4, 4 }, { 8, 6 }, { 16, 8 }, { 32, 0xa }, { 64, 0xc }, { 128, 0xe },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].ways == ways)
            return t[i].code;
    return 0xf;
}

static void l1_l2_l3(const struct cpuid_src *s, uint32_t leaf, uint32_t out[4])
{
    const struct cpu_cache *k = &s->model->cache;
    if (leaf == 0x80000005 && amd(s)) {
        out[0] = out[1] = 0x01ff01ff;  /* TLBs as QEMU states them: 255 entries, direct mapped */
        out[2] = k->l1d_kb << 24 | (uint32_t)k->l1d_ways << 16 | 1u << 8 | 64;
        out[3] = k->l1i_kb << 24 | (uint32_t)k->l1i_ways << 16 | 1u << 8 | 64;
    } else if (leaf == 0x80000006) {
        out[2] = k->l2_kb << 16 | amd_assoc(k->l2_ways) << 12 | 1u << 8 | 64;
        if (amd(s)) {
            out[0] = out[1] = 0x42004200;
            out[3] = (k->l3_kb / 512) << 18 | amd_assoc(k->l3_ways) << 12 | 1u << 8 | 64;
        }
    }
}

/* Leaves 0xB and 0x1F: the SMT level, the core level, then invalid levels (SDM vol. 3A, 8.9.1). */
static void topo_levels(const struct cpuid_src *s, uint32_t sub, uint32_t out[4])
{
    unsigned tb = cpu_topo_thread_bits(s->topo), cb = cpu_topo_core_bits(s->topo);
    out[3] = s->apic_id;
    out[2] = sub & 0xff;
    if (sub == 0) {
        out[0] = tb;
        out[1] = s->topo->threads;
        out[2] |= 1u << 8;
    } else if (sub == 1) {
        out[0] = tb + cb;
        out[1] = logical_per_package(s);
        out[2] |= 2u << 8;
    }
}

/* Fn8000_001E: extended APIC id, core id and threads per core, node id (one node per socket). */
static void amd_topo(const struct cpuid_src *s, uint32_t out[4])
{
    unsigned tb = cpu_topo_thread_bits(s->topo), cb = cpu_topo_core_bits(s->topo);
    out[0] = s->apic_id;
    out[1] = (s->topo->threads - 1) << 8 | ((s->apic_id >> tb) & ((1u << cb) - 1));
    out[2] = (s->apic_id >> (tb + cb)) & 0xff;
}

static void basic_leaf(const struct cpuid_src *s, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const struct cpu_model *m = s->model;
    switch (leaf) {
    case 0:
        out[0] = m->level;
        put_string(out, cpu_vendor_name(m->vendor));
        break;
    case 1:
        out[0] = cpu_model_signature(m);
        out[1] = s->apic_id << 24 | logical_per_package(s) << 16 | 8u << 8;   /* clflush: 64 bytes */
        out[2] = cpuid_model_word(s, CPU_W1_ECX);
        out[3] = cpuid_model_word(s, CPU_W1_EDX) | (logical_per_package(s) > 1 ? HT_BIT : 0);
        break;
    case 4:
        if (!amd(s))
            cache_desc(s, sub, false, out);
        break;
    case 7:
        if (sub == 0) {
            out[1] = cpuid_model_word(s, CPU_W7_EBX);
            out[2] = cpuid_model_word(s, CPU_W7_ECX);
            out[3] = cpuid_model_word(s, CPU_W7_EDX);
        }
        break;
    case 0xb:
        topo_levels(s, sub, out);
        break;
    case 0xd:
        if (sub == 1)
            out[0] = cpuid_model_word(s, CPU_WD1_EAX);
        break;
    case 0x1f:
        if (!amd(s))
            topo_levels(s, sub, out);
        break;
    default:
        break;
    }
}

static void extended_leaf(const struct cpuid_src *s, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const struct cpu_model *m = s->model;
    bool topoext = cpuid_model_word(s, CPU_WX1_ECX) & TOPOEXT_BIT;
    switch (leaf) {
    case 0x80000000:
        out[0] = m->xlevel;
        if (amd(s))
            put_string(out, cpu_vendor_name(m->vendor));
        break;
    case 0x80000001:
        out[2] = cpuid_model_word(s, CPU_WX1_ECX);
        out[3] = cpuid_model_word(s, CPU_WX1_EDX);
        if (amd(s)) {
            out[0] = cpu_model_signature(m);
            out[2] |= logical_per_package(s) > 1 ? CMP_LEGACY_BIT : 0;
            out[3] |= cpuid_model_word(s, CPU_W1_EDX) & AMD_X1_MIRROR;
        }
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        char brand[48] = { 0 };
        strncpy(brand, m->brand, sizeof(brand) - 1);
        memcpy(out, brand + 16 * (leaf - 0x80000002), 16);
        break;
    }
    case 0x80000005: case 0x80000006:
        l1_l2_l3(s, leaf, out);
        break;
    case 0x80000008:
        out[0] = 0x3028;               /* 40 physical, 48 linear address bits */
        if (amd(s))
            out[2] = (logical_per_package(s) - 1) |
                     (cpu_topo_thread_bits(s->topo) + cpu_topo_core_bits(s->topo)) << 12;
        break;
    case 0x8000001d:
        if (topoext)
            cache_desc(s, sub, true, out);
        break;
    case 0x8000001e:
        if (topoext)
            amd_topo(s, out);
        break;
    default:
        break;
    }
}

void cpuid_model_leaf(const struct cpuid_src *s, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 16);
    if (leaf <= s->model->level)
        basic_leaf(s, leaf, sub, out);
    else if (leaf >= 0x80000000 && leaf <= s->model->xlevel)
        extended_leaf(s, leaf, sub, out);
}
