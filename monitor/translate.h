/* The seed's four address spaces of a live VM: guest virtual -> guest physical (the guest's page
 * tables, each level's entry and flags) -> host virtual (vmon's RAM mapping) -> host physical
 * (/proc/self/pagemap). HMP info translate and QMP x-vmon-translate. */
#ifndef VMON_MONITOR_TRANSLATE_H
#define VMON_MONITOR_TRANSLATE_H

#include <stdio.h>

#include "machine/vm.h"

struct monitor_xlat {
    int cpu;
    struct vm_xlat walk;       /* GVA -> GPA */
    int walk_r;                /* 0, or -EFAULT (walk.fault says why) */
    void *hva;                 /* NULL: the GPA is not RAM (MMIO or a hole) */
    int hpa_r;                 /* 0 with hpa, or -1 with hpa_why */
    uint64_t hpa;
    char hpa_why[128];
};

/* Translate gva with vCPU cpu's registers (read with the vCPUs parked). 0, or -errno with err set
 * (a bad vCPU index, registers unavailable). */
int monitor_translate(struct vm *vm, int cpu, uint64_t gva, struct monitor_xlat *t, char *err, size_t errlen);
void monitor_translate_print(const struct monitor_xlat *t, FILE *out);
struct json_object;
struct json_object *monitor_translate_json(const struct monitor_xlat *t);

#endif
