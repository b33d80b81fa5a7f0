/* What CPU a guest sees, whichever accelerator runs it: named CPU models (vendor, family/model/
 * stepping, features per CPUID leaf, caches, brand string; QEMU 7.2's target/i386/cpu.c for the names
 * both share), the topology of -smp, and the CPUID feature names of --cpu-features and -cpu's
 * +feat/-feat (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E). */
#ifndef VMON_ACCEL_CPU_MODEL_H
#define VMON_ACCEL_CPU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The vendor setting. Where the two differ (tests/isa/FINDINGS.md, "Intel and AMD"), the software
 * CPU does what this vendor's processors do, and CPUID reports its vendor string and family. */
enum cpu_vendor {
    CPU_VENDOR_INTEL,          /* GenuineIntel: the default model (README: why) */
    CPU_VENDOR_AMD,            /* AuthenticAMD */
};

/* The host's vendor, from its own CPUID (x86-64 hosts; anything else counts as Intel). */
enum cpu_vendor cpu_vendor_host(void);
const char *cpu_vendor_name(enum cpu_vendor v);       /* "GenuineIntel" / "AuthenticAMD" */

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* The CPUID registers that hold feature bits, one word each. */
enum cpu_word {
    CPU_W1_EDX, CPU_W1_ECX,                 /* leaf 1 */
    CPU_W7_EBX, CPU_W7_ECX, CPU_W7_EDX,     /* leaf 7, subleaf 0 */
    CPU_WD1_EAX,                            /* leaf 0xd, subleaf 1 (XSAVE extensions) */
    CPU_WX1_EDX, CPU_WX1_ECX,               /* leaf 0x80000001 */
    CPU_WORDS
};

struct cpu_word_loc {
    uint32_t leaf, subleaf;
    enum cpuid_reg reg;
};
extern const struct cpu_word_loc cpu_words[CPU_WORDS];
/* The word a leaf's register holds, or -1. */
int cpu_word_of(uint32_t leaf, uint32_t subleaf, enum cpuid_reg reg);

/* Cache sizes in KiB and ways; lines are 64 bytes. */
struct cpu_cache {
    uint32_t l1d_kb, l1i_kb, l2_kb, l3_kb;
    uint8_t l1d_ways, l1i_ways, l2_ways, l3_ways;
};

/* A named model, resolved from the table in cpu-model.c. */
enum cpu_pv { CPU_PV_DEFAULT, CPU_PV_ON, CPU_PV_OFF };

struct cpu_model {
    const char *name;          /* the table's spelling */
    enum cpu_vendor vendor;
    unsigned family, model, stepping;
    uint32_t level, xlevel;    /* highest basic and extended leaf */
    bool all;                  /* max, host: every feature the accelerator has (words unused); under
                                * KVM the host's own CPUID, but for the topology leaves */
    uint32_t words[CPU_WORDS]; /* !all: the model's features; the accelerator keeps those it has */
    struct cpu_cache cache;
    const char *brand;         /* 0x80000002..4, at most 47 characters */
    enum cpu_pv kvm_pv;        /* -cpu ...,kvm=on|off: KVM's paravirtual interface (CPUID
                                * 0x40000000, kvmclock, the hypercall); default: KVM on, soft off */
};

/* -cpu / --cpu model names: host, max (the default), qemu64, Skylake-Client, EPYC, and the aliases
 * intel (max) and amd (max as an AMD part). Only the first len bytes of name count. Returns 0, or
 * -EINVAL for a name it does not know. */
int cpu_model_lookup(const char *name, size_t len, struct cpu_model *m);
#define CPU_MODEL_NAMES "host, max, qemu64, Skylake-Client, EPYC, intel or amd"
/* The model for a vendor when none was named: max, or amd. */
void cpu_model_default(enum cpu_vendor v, struct cpu_model *m);
/* The family/model/stepping as leaf 1 EAX encodes them (SDM vol. 2A, figure 3-6). */
uint32_t cpu_model_signature(const struct cpu_model *m);
/* Write the names of the features set in words[] as "a b c" into buf; returns how many. */
int cpu_words_names(const uint32_t words[CPU_WORDS], char *buf, size_t len);

/* -smp's topology: sockets, cores per socket, threads per core. APIC ids pack thread, core and socket
 * numbers into fields each rounded up to a power of two, as QEMU's x86_apicid_from_topo_ids does
 * (SDM vol. 3A, 8.9.1); vCPU index i is thread i % threads of core (i / threads) % cores of socket
 * i / (threads * cores). */
struct cpu_topology {
    unsigned sockets, cores, threads;
};
unsigned cpu_topo_thread_bits(const struct cpu_topology *t);
unsigned cpu_topo_core_bits(const struct cpu_topology *t);
uint32_t cpu_topo_apic_id(const struct cpu_topology *t, int index);

struct cpu_feature {
    const char *name;          /* Linux /proc/cpuinfo spelling; '-', '_' and '.' compare equal */
    uint32_t leaf, subleaf;
    enum cpuid_reg reg;
    uint8_t bit;
};

#define CPUID_MAX_EDITS 64

/* Bits the accelerators act on themselves, beyond the feature table. */
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_7_ECX_PKU   (1u << 3)    /* protection keys for user pages */
#define CPUID_7_ECX_OSPKE (1u << 4)    /* CR4.PKE is set */
#define CPUID_7_ECX_LA57  (1u << 16)   /* 5-level paging */

struct cpuid_edit {
    const struct cpu_feature *feature;
    bool enable;               /* "+name" or "name": require it; "-name": hide it */
};

/* Parse "-cx16,-xsave,+x2apic"; returns the number of edits, or -EINVAL with err set
 * ("unknown CPU feature 'foo'"). A NULL or empty spec has no edits. */
int cpuid_parse_features(const char *spec, struct cpuid_edit *edits, int max, char *err, size_t errlen);

#endif
