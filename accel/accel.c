/* Choosing the accelerator for --accel: kvm, soft, or auto (KVM where it can run, else soft). */
#include "accel/accel.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The CPU's vmx/svm flags, as /proc/cpuinfo lists them (absent in most nested guests). */
static bool cpu_has_virt_extensions(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags", 5))
            continue;
        found = strstr(line, " vmx") || strstr(line, " svm");
    }
    fclose(f);
    return found;
}

const struct accel_ops *accel_pick(const char *name, const char **why)
{
    if (!strcmp(name, "kvm"))
        return kvm_accel_ops.available(why) ? &kvm_accel_ops : NULL;
    if (!strcmp(name, "soft"))
        return soft_accel_ops.available(why) ? &soft_accel_ops : NULL;
    if (!strcmp(name, "auto")) {
        const char *ignored;
        if (cpu_has_virt_extensions() && kvm_accel_ops.available(&ignored))
            return &kvm_accel_ops;
        return soft_accel_ops.available(why) ? &soft_accel_ops : NULL;
    }
    *why = "unknown accelerator (kvm, soft or auto)";
    return NULL;
}
