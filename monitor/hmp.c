/* The human monitor's commands, named and printed as QEMU's HMP names them (QEMU's
 * docs/system/monitor.rst and hmp-commands*.hx list them; the output formats here are vmon's). */
#include "monitor/hmp.h"
#include "machine/migrate.h"
#include "monitor/migration.h"
#include "monitor/translate.h"
#include "machine/savevm.h"
#include "machine/snapshot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HMP_MAX_DUMP 4096      /* bytes one x/xp may print */

static void hmp_help(FILE *out)
{
    fputs("info status|version|name|cpus|registers [N]|mtree|exits|block|network|migrate|snapshots\n"
          "info translate GVA [N]     vCPU N's (0) GVA -> GPA -> HVA -> host physical, each level\n"
          "stop, cont                 pause / resume the vCPUs\n"
          "system_reset               reset the VM in place (under -no-reboot: end vmon)\n"
          "system_powerdown           press the ACPI power button\n"
          "sendkey KEYS [HOLD_MS]     press keys together (ctrl-alt-delete), QEMU's names\n"
          "save_state FILE            save the whole VM to FILE (vmon --restore FILE starts from it)\n"
          "restore_state FILE         the whole VM back to FILE's state\n"
          "migrate [-d] [-b] URI      live-migrate to tcp:HOST:PORT, exec:CMD or file:PATH (-b: copy the\n"
          "                           disks too; returns at once: info migrate follows it); migrate_cancel\n"
          "migrate_set_parameter downtime-limit MS | max-bandwidth BYTES[KMG]\n"
          "savevm [TAG]               snapshot the VM and its qcow2 disks (internal snapshot TAG)\n"
          "loadvm TAG                 the VM and its disks back to snapshot TAG\n"
          "delvm TAG                  delete snapshot TAG from the disks\n"
          "info snapshots             the snapshots savevm made\n"
          "quit                       end vmon\n"
          "xp /Nf ADDR                N units (f: x b h w g, or a count) at guest physical ADDR\n"
          "x /Nf ADDR                 the same at a guest virtual ADDR of vCPU 0 (page-table walk)\n"
          "gva2gpa ADDR               vCPU 0's guest virtual ADDR as a guest physical address\n", out);
}

static void info_cpus(struct vm *vm, FILE *out)
{
    for (int i = 0; i < vm->ncpus; i++) {
        struct cpu_state s;
        bool ok = vm_run_state(vm) != VM_STATE_SHUTDOWN && vm_get_cpu_state(vm, i, &s) == 0;
        fprintf(out, "%c CPU #%d:", i == 0 ? '*' : ' ', i);
        if (ok)
            fprintf(out, " pc=0x%016" PRIx64, s.seg[SEG_CS].base + s.rip);
        fprintf(out, " thread_id=%d\n", atomic_load(&vm->vcpus[i].tid));
    }
}

static void info_registers(struct vm *vm, const char *arg, FILE *out)
{
    int idx = arg && *arg ? atoi(arg) : 0;
    struct cpu_state s;
    int r = vm_get_cpu_state(vm, idx, &s);
    if (r < 0) {
        fprintf(out, "vCPU %d: registers unavailable: %s\n", idx, strerror(-r));
        return;
    }
    vm_print_cpu_state(vm, &s, out);
}

static void info_mtree_bus(const struct bus *b, FILE *out)
{
    fprintf(out, "%s:\n", b->name);
    for (int i = 0; i < b->nranges; i++) {
        const struct bus_range *r = &b->ranges[i];
        fprintf(out, "  %016" PRIx64 "-%016" PRIx64 " %s\n", r->base, r->base + r->len - 1,
                r->name ? r->name : "?");
    }
}

static void info_mtree(struct vm *vm, FILE *out)
{
    fprintf(out, "ram:\n");
    for (int i = 0; i < vm->mem.nslots; i++) {
        const struct mem_slot *s = &vm->mem.slots[i];
        fprintf(out, "  %016" PRIx64 "-%016" PRIx64 " ram slot %d\n", s->gpa, s->gpa + s->size - 1, i);
    }
    info_mtree_bus(&vm->pio, out);
    info_mtree_bus(&vm->mmio, out);
}

/* The drives the board attached (QEMU's info block: "id (#blockN): file (format)"). */
static void info_block(struct vm *vm, FILE *out)
{
    if (!vm->cfg.ndrives)
        fputs("no block devices\n", out);
    for (int i = 0; i < vm->cfg.ndrives; i++) {
        const struct vm_drive *d = &vm->cfg.drives[i];
        struct vm_drive_info di = { .format = d->format[0] ? d->format : "?" };
        if (vm->board && vm->board->drive_info)
            vm->board->drive_info(vm, i, &di);
        fprintf(out, "virtio%d: %s (%s%s, %" PRIu64 " bytes)\n    Attached to: virtio-blk-pci\n", i,
                d->file, di.format, d->readonly ? ", read-only" : "", di.size);
    }
}

static void info_translate(struct vm *vm, const char *gva_s, const char *cpu_s, FILE *out)
{
    char *end = NULL, *cend = NULL;
    uint64_t gva = gva_s ? strtoull(gva_s, &end, 0) : 0;
    long cpu = cpu_s ? strtol(cpu_s, &cend, 0) : 0;
    if (!gva_s || *end || (cpu_s && (*cend || cpu < 0 || cpu >= VM_MAX_CPUS))) {
        fputs("usage: info translate GVA [CPU]\n", out);
        return;
    }
    struct monitor_xlat t;
    char err[128];
    if (monitor_translate(vm, (int)cpu, gva, &t, err, sizeof(err)) < 0)
        fprintf(out, "info translate: %s\n", err);
    else
        monitor_translate_print(&t, out);
}

static void hmp_info(struct vm *vm, const char *version, const char *what, const char *arg,
                     const char *arg2, FILE *out)
{
    if (!what || !*what)
        fputs("info status|version|name|cpus|registers [N]|mtree|exits|block|network|translate GVA [N]\n", out);
    else if (!strcmp(what, "status"))
        fprintf(out, "VM status: %s\n", vm_run_state_name(vm_run_state(vm)));
    else if (!strcmp(what, "version"))
        fprintf(out, "%s (vmon)\n", version);
    else if (!strcmp(what, "name"))
        fprintf(out, "%s\n", vm->cfg.name ? vm->cfg.name : "");
    else if (!strcmp(what, "cpus"))
        info_cpus(vm, out);
    else if (!strcmp(what, "registers"))
        info_registers(vm, arg, out);
    else if (!strcmp(what, "mtree"))
        info_mtree(vm, out);
    else if (!strcmp(what, "exits") && !vm->cfg.exit_stats)
        fputs("exit statistics are not counted: run vmon with --exit-stats\n", out);
    else if (!strcmp(what, "exits"))
        vm_print_exit_stats(vm, out);
    else if (!strcmp(what, "block"))
        info_block(vm, out);
    else if (!strcmp(what, "network") && vm->board && vm->board->info_network)
        vm->board->info_network(vm, out);
    else if (!strcmp(what, "network"))
        fputs("no network devices\n", out);
    else if (!strcmp(what, "snapshots"))
        vm_snapshots_print(vm, out);
    else if (!strcmp(what, "translate"))
        info_translate(vm, arg, arg2, out);
    else if (!strcmp(what, "migrate"))
        hmp_info_migrate(vm, out);
    else
        fprintf(out, "info %s: unknown (try 'info')\n", what);
}

/* "/Nf" -> count and unit size (f: b h w g; x and none mean w). */
static int parse_fmt(const char *fmt, unsigned *count, unsigned *size)
{
    *count = 1;
    *size = 4;
    if (!fmt || fmt[0] != '/')
        return fmt ? -EINVAL : 0;
    char *end;
    unsigned long n = strtoul(fmt + 1, &end, 10);
    if (end != fmt + 1)
        *count = (unsigned)n;
    for (; *end; end++) {
        switch (*end) {
        case 'b': *size = 1; break;
        case 'h': *size = 2; break;
        case 'w': *size = 4; break;
        case 'g': *size = 8; break;
        case 'x': case 'u': case 'd': break;
        default: return -EINVAL;
        }
    }
    return *count && *count * *size <= HMP_MAX_DUMP ? 0 : -ERANGE;
}

/* xp (virt false) and x (virt true: through vCPU 0's page tables). */
static void hmp_dump(struct vm *vm, bool virt, const char *fmt, const char *addr_s, FILE *out)
{
    unsigned count, size;
    if (!addr_s) {                /* "xp ADDR" without a format */
        addr_s = fmt;
        fmt = NULL;
    }
    char *end;
    uint64_t addr = addr_s ? strtoull(addr_s, &end, 0) : 0;
    if (!addr_s || *end || parse_fmt(fmt, &count, &size) < 0) {
        fputs("usage: xp|x /Nf ADDR (f: x b h w g; at most 4096 bytes)\n", out);
        return;
    }
    struct cpu_state s;
    if (virt && vm_get_cpu_state(vm, 0, &s) < 0) {
        fputs("x: the accelerator gives no registers to translate with; use xp\n", out);
        return;
    }
    for (unsigned i = 0; i < count; i++) {
        uint64_t a = addr + (uint64_t)i * size, pa = a, v = 0;
        if (i % (16 / size) == 0)
            fprintf(out, "%s%016" PRIx64 ":", i ? "\n" : "", a);
        if ((virt && vm_translate(vm, &s, a, &pa) < 0) || guest_mem_read(&vm->mem, pa, &v, size) < 0) {
            fprintf(out, " (unmapped)");
            break;
        }
        fprintf(out, " 0x%0*" PRIx64, (int)size * 2, v);
    }
    fputs("\n", out);
}

static void hmp_gva2gpa(struct vm *vm, const char *addr_s, FILE *out)
{
    char *end;
    uint64_t gva = addr_s ? strtoull(addr_s, &end, 0) : 0, gpa;
    struct cpu_state s;
    if (!addr_s || *end)
        fputs("usage: gva2gpa ADDR\n", out);
    else if (vm_get_cpu_state(vm, 0, &s) < 0)
        fputs("gva2gpa: the accelerator gives no registers to translate with\n", out);
    else if (vm_translate(vm, &s, gva, &gpa) < 0)
        fputs("Unmapped\n", out);
    else
        fprintf(out, "gpa: 0x%" PRIx64 "\n", gpa);
}

static void report(FILE *out, const char *what, int r);

/* sendkey ctrl-alt-delete [hold]: QEMU's key names joined by '-' ("minus" is the key itself). */
static void hmp_sendkey(struct vm *vm, char *keys, const char *hold_s, FILE *out)
{
    const char *names[VM_MAX_KEYS];
    int n = 0;
    char *save = NULL, *end = NULL;
    unsigned long hold = hold_s ? strtoul(hold_s, &end, 0) : 100;
    if (!keys || (hold_s && (*end || hold > 10000))) {
        fputs("usage: sendkey KEY[-KEY...] [HOLD_MS up to 10000]\n", out);
        return;
    }
    for (char *k = strtok_r(keys, "-", &save); k && n < VM_MAX_KEYS; k = strtok_r(NULL, "-", &save))
        names[n++] = k;
    int r = vm_send_keys(vm, names, n, (unsigned)hold);
    if (r == -EINVAL)
        fputs("sendkey: unknown key or too many keys\n", out);
    else
        report(out, "sendkey", r);
}

static void hmp_state(struct vm *vm, bool save, const char *file, FILE *out)
{
    char err[512];
    const char *what = save ? "save_state" : "restore_state";
    if (!file)
        fprintf(out, "%s: give a file name\n", what);
    else if ((save ? vm_save_state(vm, file, err, sizeof(err)) : vm_load_state(vm, file, err, sizeof(err))) < 0)
        fprintf(out, "%s: %s\n", what, err);
}

/* savevm / loadvm / delvm (machine/savevm.h): QEMU prints the error alone. */
static void hmp_savevm(struct vm *vm, const char *cmd, const char *tag, FILE *out)
{
    char err[512];
    int r;
    if (cmd[0] != 's' && !tag) {
        fprintf(out, "%s: give a snapshot tag\n", cmd);
        return;
    }
    if (cmd[0] == 's')
        r = vm_savevm(vm, tag, err, sizeof(err));
    else if (cmd[0] == 'l')
        r = vm_loadvm(vm, tag, err, sizeof(err));
    else
        r = vm_delvm(vm, tag, err, sizeof(err));
    if (r < 0)
        fprintf(out, "Error: %s\n", err);
}

static void report(FILE *out, const char *what, int r)
{
    if (r == -ESHUTDOWN)
        fprintf(out, "%s: the VM has shut down\n", what);
    else if (r == -ENOTSUP)
        fprintf(out, "%s: not supported by this machine\n", what);
}

static void hmp_cont(struct vm *vm, FILE *out)
{
    char err[300] = "";
    int r = vm_cont(vm, err, sizeof(err));
    if (r < 0 && err[0])
        fprintf(out, "cont: %s\n", err);
    else
        report(out, "cont", r);
}

bool hmp_run(struct vm *vm, const char *version, const char *line, FILE *out)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", line);
    char *save = NULL;
    char *cmd = strtok_r(buf, " \t\r\n", &save);
    char *a1 = strtok_r(NULL, " \t\r\n", &save);
    char *a2 = strtok_r(NULL, " \t\r\n", &save);
    char *a3 = strtok_r(NULL, " \t\r\n", &save);
    if (!cmd)
        return false;
    if (!strcmp(cmd, "help") || !strcmp(cmd, "?"))
        hmp_help(out);
    else if (!strcmp(cmd, "info"))
        hmp_info(vm, version, a1, a2, a3, out);
    else if (!strcmp(cmd, "stop"))
        report(out, cmd, vm_pause(vm));
    else if (!strcmp(cmd, "cont") || !strcmp(cmd, "c"))
        hmp_cont(vm, out);
    else if (!strcmp(cmd, "sendkey"))
        hmp_sendkey(vm, a1, a2, out);
    else if (!strcmp(cmd, "system_powerdown"))
        report(out, cmd, vm_powerdown(vm));
    else if (!strcmp(cmd, "system_reset"))
        report(out, cmd, vm_reset(vm, VM_CAUSE_HOST_QMP_SYSTEM_RESET));
    else if (!strcmp(cmd, "save_state") || !strcmp(cmd, "restore_state"))
        hmp_state(vm, cmd[0] == 's', a1, out);
    else if (hmp_migration(vm, cmd, line, out))
        ;
    else if (!strcmp(cmd, "savevm") || !strcmp(cmd, "loadvm") || !strcmp(cmd, "delvm"))
        hmp_savevm(vm, cmd, a1, out);
    else if (!strcmp(cmd, "gva2gpa"))
        hmp_gva2gpa(vm, a1, out);
    else if (!strcmp(cmd, "quit") || !strcmp(cmd, "q"))
        return true;
    else if (!strncmp(cmd, "xp", 2) || !strncmp(cmd, "x", 1)) {
        bool virt = cmd[1] != 'p';
        const char *rest = cmd + (virt ? 1 : 2);   /* "xp/4x" written without a space */
        if (*rest)
            hmp_dump(vm, virt, rest, a1, out);
        else
            hmp_dump(vm, virt, a1, a2, out);
    } else
        fprintf(out, "unknown command: '%s' (try 'help')\n", cmd);
    return false;
}
