/* info translate / x-vmon-translate: walk vCPU N's page tables (machine/translate.c), then the GPA
 * through vmon's RAM slots to a host virtual address, then /proc/self/pagemap to a host physical one. */
#include "monitor/translate.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "util/pagemap.h"

int monitor_translate(struct vm *vm, int cpu, uint64_t gva, struct monitor_xlat *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    t->cpu = cpu;
    struct cpu_state s;
    int r = vm_get_cpu_state(vm, cpu, &s);
    if (r < 0) {
        snprintf(err, errlen, r == -EINVAL ? "no vCPU %d" : "vCPU %d: registers unavailable: %s", cpu,
                 strerror(-r));
        return r;
    }
    t->walk_r = vm_translate_walk(vm, &s, gva, &t->walk);
    t->hpa_r = -1;
    if (t->walk_r < 0)
        return 0;
    t->hva = guest_mem_hva(&vm->mem, t->walk.gpa, 1);
    if (!t->hva)
        snprintf(t->hpa_why, sizeof(t->hpa_why), "the GPA is not RAM (MMIO or a hole)");
    else
        t->hpa_r = pagemap_lookup("/proc/self/pagemap", t->hva, &t->hpa, t->hpa_why, sizeof(t->hpa_why));
    return 0;
}

static void print_flags(const struct vm_xlat *x, const struct vm_xlat_level *l, FILE *out)
{
    const char *names[12];
    int n = vm_xlat_flags(x, l, names, 12);
    for (int i = 0; i < n; i++)
        fprintf(out, " %s", names[i]);
}

void monitor_translate_print(const struct monitor_xlat *t, FILE *out)
{
    const struct vm_xlat *x = &t->walk;
    fprintf(out, "vCPU %d, %s: GVA 0x%" PRIx64 "\n", t->cpu, vm_paging_mode_name(x->mode), x->gva);
    for (int i = 0; i < x->nlevels; i++) {
        const struct vm_xlat_level *l = &x->level[i];
        fprintf(out, "  %-5s table 0x%" PRIx64 " [%3u] @ 0x%" PRIx64 " = 0x%0*" PRIx64 "", l->name,
                l->table, l->index, l->entry_gpa, (int)l->size * 2, l->entry);
        print_flags(x, l, out);
        if (l->leaf)
            fprintf(out, "  (%" PRIu64 " KiB page)", x->page_size >> 10);
        fputs("\n", out);
    }
    if (t->walk_r < 0) {
        fprintf(out, "GVA 0x%" PRIx64 ": unmapped (%s%s%s)\n", x->gva, x->nlevels ? x->level[x->nlevels - 1].name : "",
                x->nlevels ? " " : "", x->fault);
        return;
    }
    fprintf(out, "GVA 0x%" PRIx64 " -> GPA 0x%" PRIx64, x->gva, x->gpa);
    if (t->hva)
        fprintf(out, " -> HVA %p", t->hva);
    if (t->hpa_r == 0)
        fprintf(out, " -> HPA 0x%" PRIx64 "\n", t->hpa);
    else
        fprintf(out, " -> HPA unavailable: %s\n", t->hpa_why);
}

struct json_object *monitor_translate_json(const struct monitor_xlat *t)
{
    const struct vm_xlat *x = &t->walk;
    struct json_object *o = json_object_new_object(), *levels = json_object_new_array();
    json_object_object_add(o, "cpu-index", json_object_new_int(t->cpu));
    json_object_object_add(o, "mode", json_object_new_string(vm_paging_mode_name(x->mode)));
    json_object_object_add(o, "gva", json_object_new_uint64(x->gva));
    for (int i = 0; i < x->nlevels; i++) {
        const struct vm_xlat_level *l = &x->level[i];
        struct json_object *e = json_object_new_object(), *flags = json_object_new_array();
        const char *names[12];
        int n = vm_xlat_flags(x, l, names, 12);
        for (int k = 0; k < n; k++)
            json_object_array_add(flags, json_object_new_string(names[k]));
        json_object_object_add(e, "level", json_object_new_string(l->name));
        json_object_object_add(e, "table", json_object_new_uint64(l->table));
        json_object_object_add(e, "index", json_object_new_int((int)l->index));
        json_object_object_add(e, "entry", json_object_new_uint64(l->entry));
        json_object_object_add(e, "flags", flags);
        json_object_object_add(e, "leaf", json_object_new_boolean(l->leaf));
        json_object_array_add(levels, e);
    }
    json_object_object_add(o, "levels", levels);
    if (t->walk_r < 0) {
        json_object_object_add(o, "fault", json_object_new_string(x->fault));
        return o;
    }
    json_object_object_add(o, "gpa", json_object_new_uint64(x->gpa));
    json_object_object_add(o, "page-size", json_object_new_uint64(x->page_size));
    if (t->hva)
        json_object_object_add(o, "hva", json_object_new_uint64((uint64_t)(uintptr_t)t->hva));
    if (t->hpa_r == 0)
        json_object_object_add(o, "hpa", json_object_new_uint64(t->hpa));
    else
        json_object_object_add(o, "hpa-error", json_object_new_string(t->hpa_why));
    return o;
}
