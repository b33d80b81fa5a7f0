/* The monitors' live migration commands (monitor/migration.h), on the event-loop thread: they start,
 * query, tune and cancel machine/migrate.c's migration, never wait for it (HMP's migrate returns at
 * once with or without -d: follow it with info migrate, as with QEMU's -d). */
#include "monitor/migration.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "machine/migrate.h"

static const char *skip_word(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

void hmp_info_migrate(struct vm *vm, FILE *out)
{
    struct vm_mig_info i;
    vm_migrate_query(vm, &i);
    fprintf(out, "Migration status: %s%s\n", vm_mig_status_name(i.status), i.incoming ? " (incoming)" : "");
    if (i.status == VM_MIG_NONE)
        return;
    fprintf(out, "passes: %u\n", i.passes);
    fprintf(out, "total time: %" PRIu64 " ms\n", i.total_ms);
    if (i.downtime_ms >= 0)
        fprintf(out, "downtime: %" PRId64 " ms (%s)\n", i.downtime_ms,
                i.downtime_to_resume ? "vCPUs stopped to the destination's resume"
                                     : "vCPUs stopped to the end of the stream");
    fprintf(out, "transferred ram: %" PRIu64 " kbytes\n", i.transferred >> 10);
    fprintf(out, "remaining ram: %" PRIu64 " kbytes\n", i.remaining >> 10);
    fprintf(out, "total ram: %" PRIu64 " kbytes\n", i.ram_total >> 10);
    fprintf(out, "normal pages: %" PRIu64 "\nzero pages: %" PRIu64 "\n", i.pages, i.zero_pages);
    fprintf(out, "downtime-limit: %" PRIu64 " ms\nmax-bandwidth: %" PRIu64 " bytes/s\n",
            i.downtime_limit_ms, i.max_bandwidth);
    if (i.error[0])
        fprintf(out, "error: %s\n", i.error);
}

static void hmp_migrate(struct vm *vm, const char *line, FILE *out)
{
    const char *uri = skip_word(line);
    bool blk = false;
    while (uri[0] == '-' && (uri[1] == 'd' || uri[1] == 'b') && (uri[2] == ' ' || uri[2] == '\t')) {
        blk |= uri[1] == 'b';
        uri = skip_word(uri);
    }
    char u[1024];
    snprintf(u, sizeof(u), "%s", uri);
    size_t n = strlen(u);
    while (n && (u[n - 1] == '\n' || u[n - 1] == '\r' || u[n - 1] == ' '))
        u[--n] = 0;
    char err[300];
    if (!n)
        fputs("migrate: give a URI (tcp:HOST:PORT, exec:CMD, file:PATH)\n", out);
    else if (vm_migrate(vm, u, blk, err, sizeof(err)) < 0)
        fprintf(out, "migrate: %s\n", err);
}

static void hmp_set_parameter(struct vm *vm, const char *line, FILE *out)
{
    char name[64] = "", val[64] = "";
    char err[200];
    if (sscanf(skip_word(line), "%63s %63s", name, val) != 2) {
        fputs("migrate_set_parameter: give a name and a value\n", out);
        return;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(val, &end, 0);
    if (errno || end == val || val[0] == '-') {
        fprintf(out, "migrate_set_parameter: %s: not a number\n", val);
        return;
    }
    if (*end && !strcmp(name, "max-bandwidth")) {   /* HMP takes a size: 32M */
        unsigned shift = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20
                         : *end == 'g' || *end == 'G' ? 30 : 64;
        if (shift == 64 || end[1] || v > (UINT64_MAX >> shift)) {
            fprintf(out, "migrate_set_parameter: %s: not a size\n", val);
            return;
        }
        v <<= shift;
    } else if (*end) {
        fprintf(out, "migrate_set_parameter: %s: not a number\n", val);
        return;
    }
    if (vm_migrate_set(vm, name, v, err, sizeof(err)) < 0)
        fprintf(out, "migrate_set_parameter: %s\n", err);
}

bool hmp_migration(struct vm *vm, const char *cmd, const char *line, FILE *out)
{
    if (!strcmp(cmd, "migrate"))
        hmp_migrate(vm, line, out);
    else if (!strcmp(cmd, "migrate_cancel")) {
        if (vm_migrate_cancel(vm) < 0)
            fputs("migrate_cancel: no migration in progress\n", out);
    } else if (!strcmp(cmd, "migrate_set_parameter"))
        hmp_set_parameter(vm, line, out);
    else
        return false;
    return true;
}

/* ---- QMP ---- */

struct json_object *qmp_migration_event_data(int status)
{
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "status", json_object_new_string(vm_mig_status_name(status)));
    return d;
}

static struct json_object *query(struct vm *vm)
{
    struct vm_mig_info i;
    vm_migrate_query(vm, &i);
    struct json_object *o = json_object_new_object();
    if (i.status == VM_MIG_NONE)
        return o;
    json_object_object_add(o, "status", json_object_new_string(vm_mig_status_name(i.status)));
    json_object_object_add(o, "total-time", json_object_new_int64((int64_t)i.total_ms));
    if (i.downtime_ms >= 0)
        json_object_object_add(o, "downtime", json_object_new_int64(i.downtime_ms));
    json_object_object_add(o, "x-vmon-downtime-to-resume", json_object_new_boolean(i.downtime_to_resume));
    json_object_object_add(o, "x-vmon-incoming", json_object_new_boolean(i.incoming));
    struct json_object *ram = json_object_new_object();
    json_object_object_add(ram, "transferred", json_object_new_int64((int64_t)i.transferred));
    json_object_object_add(ram, "remaining", json_object_new_int64((int64_t)i.remaining));
    json_object_object_add(ram, "total", json_object_new_int64((int64_t)i.ram_total));
    json_object_object_add(ram, "normal", json_object_new_int64((int64_t)i.pages));
    json_object_object_add(ram, "duplicate", json_object_new_int64((int64_t)i.zero_pages));
    json_object_object_add(ram, "dirty-sync-count", json_object_new_int64(i.passes));
    json_object_object_add(o, "ram", ram);
    json_object_object_add(o, "x-vmon-passes", json_object_new_int64(i.passes));
    if (i.error[0])
        json_object_object_add(o, "error-desc", json_object_new_string(i.error));
    return o;
}

static int set_parameters(struct vm *vm, struct json_object *args, char *desc, size_t dlen)
{
    json_object_object_foreach(args, k, v) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
            snprintf(desc, dlen, "Invalid parameter type for '%.60s', expected: integer", k);
            return -1;
        }
        if (vm_migrate_set(vm, k, (uint64_t)json_object_get_int64(v), desc, dlen) < 0)
            return -1;
    }
    return 0;
}

int qmp_migration(struct vm *vm, const char *name, struct json_object *args, struct json_object **ret,
                  char *desc, size_t dlen)
{
    *ret = NULL;
    if (!strcmp(name, "query-migrate")) {
        *ret = query(vm);
        return 0;
    }
    if (!strcmp(name, "migrate_cancel")) {
        vm_migrate_cancel(vm);   /* QEMU's: nothing to cancel is no error */
        return 0;
    }
    if (!strcmp(name, "migrate-set-parameters"))
        return args ? set_parameters(vm, args, desc, dlen) : 0;
    struct json_object *u = NULL, *b = NULL;
    json_object_object_get_ex(args, "uri", &u);
    json_object_object_get_ex(args, "blk", &b);
    return vm_migrate(vm, json_object_get_string(u), b && json_object_get_boolean(b), desc, dlen) < 0 ? -1 : 0;
}
