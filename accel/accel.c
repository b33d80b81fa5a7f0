/* Choosing the accelerator for --accel: kvm, soft, or auto (KVM where it can run, else soft), or
 * -machine accel='s list, the first that can run (QEMU's accel_init_machine order). */
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

static const struct accel_ops *pick_one(const char *name, size_t len, const char **why, const char **note)
{
    if (len == 3 && !strncmp(name, "kvm", 3)) {
        if (!kvm_accel_ops.available(why))
            return NULL;
        if (!cpu_has_virt_extensions())
            *note = "no vmx/svm flag in /proc/cpuinfo: /dev/kvm opens, but ring-0 code will be emulated "
                    "and Linux may not boot (--accel auto picks soft here)";
        return &kvm_accel_ops;
    }
    if (len == 4 && !strncmp(name, "soft", 4))
        return soft_accel_ops.available(why) ? &soft_accel_ops : NULL;
    if (len == 4 && !strncmp(name, "auto", 4)) {
        const char *ignored;
        if (cpu_has_virt_extensions() && kvm_accel_ops.available(&ignored))
            return &kvm_accel_ops;
        return soft_accel_ops.available(why) ? &soft_accel_ops : NULL;
    }
    *why = "unknown accelerator (kvm, soft or auto)";
    return NULL;
}

const struct accel_ops *accel_pick(const char *name, const char **why, const char **note)
{
    *note = NULL;
    for (const char *p = name;; p++) {
        size_t len = strcspn(p, ":");
        const struct accel_ops *a = pick_one(p, len, why, note);
        if (a || !p[len])
            return a;
        p += len;
    }
}
