/* What CPU a guest sees, whichever accelerator runs it: the vendor whose behaviour the software CPU
 * follows where Intel and AMD silicon differ, and the CPUID feature names of --cpu-features and
 * -cpu's +feat/-feat (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E). */
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

/* -cpu / --cpu model names: "host" (the host's vendor), "max" (the default model), "intel",
 * "amd". Returns 0, or -EINVAL for a name it does not know. */
int cpu_model_vendor(const char *name, size_t len, enum cpu_vendor *v);

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpu_feature {
    const char *name;          /* Linux /proc/cpuinfo spelling; '-', '_' and '.' compare equal */
    uint32_t leaf, subleaf;
    enum cpuid_reg reg;
    uint8_t bit;
};

#define CPUID_MAX_EDITS 64

struct cpuid_edit {
    const struct cpu_feature *feature;
    bool enable;               /* "+name" or "name": require it; "-name": hide it */
};

/* Parse "-cx16,-xsave,+x2apic"; returns the number of edits, or -EINVAL with err set
 * ("unknown CPU feature 'foo'"). A NULL or empty spec has no edits. */
int cpuid_parse_features(const char *spec, struct cpuid_edit *edits, int max, char *err, size_t errlen);

#endif
