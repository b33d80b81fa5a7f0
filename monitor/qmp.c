/* QMP commands and replies (QEMU's docs/interop/qmp-spec: greeting 2.2, commands 2.3, success 2.4.1,
 * errors 2.4.2 with the classes GenericError and CommandNotFound, events 2.5; the commands' schemas
 * are those of QEMU's qapi schema files). Parsing is json-c's; the socket side is monitor/server.c. */
#include "monitor/qmp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "monitor/hmp.h"
#include "machine/migrate.h"
#include "monitor/migration.h"
#include "monitor/qmp-int.h"
#include "monitor/translate.h"
#include "machine/snapshot.h"

/* Takes ownership of o and returns it as a malloc'd line. */
static char *json_line(struct json_object *o)
{
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static struct json_object *reply_ok(struct json_object *ret, struct json_object *id)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "return", ret ? ret : json_object_new_object());
    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    return o;
}

static struct json_object *reply_err(const char *cls, const char *desc, struct json_object *id)
{
    struct json_object *e = json_object_new_object(), *o = json_object_new_object();
    json_object_object_add(e, "class", json_object_new_string(cls));
    json_object_object_add(e, "desc", json_object_new_string(desc));
    json_object_object_add(o, "error", e);
    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    return o;
}

char *qmp_greeting(const struct qmp_session *s)
{
    unsigned maj = 0, min = 0, mic = 0;
    sscanf(s->version, "%u.%u.%u", &maj, &min, &mic);
    struct json_object *v = json_object_new_object(), *q = json_object_new_object();
    json_object_object_add(v, "major", json_object_new_int((int)maj));
    json_object_object_add(v, "minor", json_object_new_int((int)min));
    json_object_object_add(v, "micro", json_object_new_int((int)mic));
    json_object_object_add(q, "qemu", v);
    json_object_object_add(q, "package", json_object_new_string("vmon"));
    struct json_object *qmp = json_object_new_object(), *o = json_object_new_object();
    json_object_object_add(qmp, "version", q);
    json_object_object_add(qmp, "capabilities", json_object_new_array());
    json_object_object_add(o, "QMP", qmp);
    return json_line(o);
}

static void fail(struct qmp_result *r, const char *fmt, const char *arg)
{
    r->err_class = "GenericError";
    snprintf(r->desc, sizeof(r->desc), fmt, arg);
}

void qmp_fail(struct qmp_result *r, const char *desc)
{
    fail(r, "%s", desc);
}

static void qmp_cmd_capabilities(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    if (s->command_mode) {
        r->err_class = "CommandNotFound";   /* qmp-spec 4: not available in command mode */
        snprintf(r->desc, sizeof(r->desc), "Capabilities negotiation is already complete, command ignored");
        return;
    }
    s->command_mode = true;
}

static void qmp_cmd_query_status(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    enum vm_run_state st = vm_run_state(s->vm);
    r->ret = json_object_new_object();
    json_object_object_add(r->ret, "running", json_object_new_boolean(st == VM_STATE_RUNNING));
    json_object_object_add(r->ret, "singlestep", json_object_new_boolean(false));
    json_object_object_add(r->ret, "status", json_object_new_string(vm_run_state_name(st)));
}

static void qmp_cmd_query_version(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    char *g = qmp_greeting(s);
    struct json_object *o = g ? json_tokener_parse(g) : NULL;
    free(g);
    struct json_object *qmp, *v;
    if (o && json_object_object_get_ex(o, "QMP", &qmp) && json_object_object_get_ex(qmp, "version", &v))
        r->ret = json_object_get(v);
    json_object_put(o);
    if (!r->ret)
        fail(r, "%s", "out of memory");
}

static void qmp_cmd_query_name(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    r->ret = json_object_new_object();
    if (s->vm->cfg.name)
        json_object_object_add(r->ret, "name", json_object_new_string(s->vm->cfg.name));
}

static void qmp_cmd_query_kvm(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    r->ret = json_object_new_object();
    bool enabled = s->vm->accel && !strcmp(s->vm->accel->name, "kvm");
    json_object_object_add(r->ret, "enabled", json_object_new_boolean(enabled));
    json_object_object_add(r->ret, "present", json_object_new_boolean(access("/dev/kvm", R_OK | W_OK) == 0));
}

static void qmp_cmd_query_cpus_fast(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    struct vm *vm = s->vm;
    r->ret = json_object_new_array();
    for (int i = 0; i < vm->ncpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        struct json_object *c = json_object_new_object(), *props = json_object_new_object();
        unsigned per_sock = vm->topo.cores * vm->topo.threads;
        per_sock = per_sock ? per_sock : 1;
        unsigned threads = vm->topo.threads ? vm->topo.threads : 1;
        json_object_object_add(props, "socket-id", json_object_new_int((int)(i / per_sock)));
        json_object_object_add(props, "core-id", json_object_new_int((int)(i % per_sock / threads)));
        json_object_object_add(props, "thread-id", json_object_new_int((int)(i % threads)));
        char path[64];
        snprintf(path, sizeof(path), "/machine/unattached/device[%d]", i);
        json_object_object_add(c, "cpu-index", json_object_new_int(i));
        json_object_object_add(c, "qom-path", json_object_new_string(path));
        json_object_object_add(c, "thread-id", json_object_new_int(atomic_load(&v->tid)));
        json_object_object_add(c, "props", props);
        json_object_object_add(c, "target", json_object_new_string("x86_64"));
        json_object_array_add(r->ret, c);
    }
}

static void run_state_result(struct qmp_result *r, int err)
{
    if (err == -ESHUTDOWN)
        fail(r, "%s", "the VM has shut down");
}

static void qmp_cmd_stop(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    run_state_result(r, vm_pause(s->vm));    /* stop on a paused VM succeeds, as QEMU's does */
}

static void qmp_cmd_cont(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    char err[300] = "";
    int e = vm_cont(s->vm, err, sizeof(err));
    if (e < 0 && err[0])
        fail(r, "%s", err);        /* the disks a completed migration handed over are held elsewhere */
    else
        run_state_result(r, e);
}

static void qmp_cmd_system_reset(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    /* In place (RESET follows), or SHUTDOWN under -no-reboot, as QEMU's. */
    run_state_result(r, vm_reset(s->vm, VM_CAUSE_HOST_QMP_SYSTEM_RESET));
}

static void qmp_cmd_system_powerdown(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    int e = vm_powerdown(s->vm);
    if (e == -ENOTSUP)
        fail(r, "%s", "this machine has no power button");
    else
        run_state_result(r, e);
}

/* send-key {"keys": [{"type": "qcode", "data": "ctrl"}, ...], "hold-time": ms} (QEMU's schema;
 * keys given by number are refused: vmon keeps no numeric key table). */
static void qmp_cmd_send_key(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    struct json_object *keys = json_object_object_get(args, "keys"), *hold;
    const char *names[VM_MAX_KEYS];
    int n = (int)json_object_array_length(keys);
    if (n < 1 || n > VM_MAX_KEYS) {
        fail(r, "%s", "send-key: between 1 and 16 keys");
        return;
    }
    for (int i = 0; i < n; i++) {
        struct json_object *k = json_object_array_get_idx(keys, (size_t)i), *t, *d;
        if (!json_object_is_type(k, json_type_object) || !json_object_object_get_ex(k, "type", &t) ||
            !json_object_object_get_ex(k, "data", &d) || !json_object_is_type(d, json_type_string) ||
            strcmp(json_object_get_string(t), "qcode")) {
            fail(r, "%s", "send-key: each key is {\"type\": \"qcode\", \"data\": NAME}");
            return;
        }
        names[i] = json_object_get_string(d);
    }
    int64_t ms = json_object_object_get_ex(args, "hold-time", &hold) ? json_object_get_int64(hold) : 100;
    if (ms < 0 || ms > 10000) {
        fail(r, "%s", "send-key: hold-time between 0 and 10000 ms");
        return;
    }
    int e = vm_send_keys(s->vm, names, n, (unsigned)ms);
    if (e == -EINVAL)
        fail(r, "%s", "send-key: unknown key name");
    else if (e == -ENOTSUP)
        fail(r, "%s", "this machine has no keyboard");
    else
        run_state_result(r, e);
}

/* vmon's: the whole VM to a state file (machine/snapshot.h), for --restore. */
static void qmp_cmd_x_vmon_save_state(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    struct json_object *f = NULL;
    json_object_object_get_ex(args, "file", &f);
    char err[150];
    if (vm_save_state(s->vm, json_object_get_string(f), err, sizeof(err)) < 0)
        fail(r, "%s", err);
}

/* vmon's: the whole VM back to a state file's (machine/snapshot.h), the VM going on from there. */
static void qmp_cmd_x_vmon_restore_state(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    struct json_object *f = NULL;
    json_object_object_get_ex(args, "file", &f);
    char err[150];
    if (vm_load_state(s->vm, json_object_get_string(f), err, sizeof(err)) < 0)
        fail(r, "%s", err);
}

/* migrate, query-migrate, migrate_cancel, migrate-set-parameters (monitor/migration.c). */
static void qmp_cmd_migration(struct qmp_session *s, const char *name, struct json_object *args,
                              struct qmp_result *r)
{
    if (qmp_migration(s->vm, name, args, &r->ret, r->desc, sizeof(r->desc)) < 0)
        r->err_class = "GenericError";
}

static void qmp_cmd_migrate(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    qmp_cmd_migration(s, "migrate", args, r);
}

static void qmp_cmd_query_migrate(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    qmp_cmd_migration(s, "query-migrate", args, r);
}

static void qmp_cmd_migrate_cancel(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    qmp_cmd_migration(s, "migrate_cancel", args, r);
}

static void qmp_cmd_migrate_set_parameters(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    qmp_cmd_migration(s, "migrate-set-parameters", args, r);
}

static void qmp_cmd_quit(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    (void)r;
    s->quit = true;
}

/* An integer argument as an address: json-c keeps those above INT64_MAX as unsigned. */
static uint64_t arg_u64(struct json_object *args, const char *name, uint64_t dflt)
{
    struct json_object *v;
    if (!args || !json_object_object_get_ex(args, name, &v))
        return dflt;
    int64_t i = json_object_get_int64(v);
    return i < 0 ? (uint64_t)i : json_object_get_uint64(v);
}

static void qmp_cmd_human_monitor_command(struct qmp_session *s, struct json_object *args,
                                          struct qmp_result *r)
{
    struct json_object *cl;
    json_object_object_get_ex(args, "command-line", &cl);   /* present and a string: qmp_run checked */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        fail(r, "%s", "out of memory");
        return;
    }
    if (hmp_run(s->vm, s->version, json_object_get_string(cl), out))
        s->quit = true;
    fclose(out);
    r->ret = json_object_new_string(text ? text : "");
    free(text);
}

/* query-block (QEMU's qapi/block-core.json BlockInfo, the fields vmon knows): the machine's drives. */
static void qmp_cmd_query_block(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    struct vm *vm = s->vm;
    r->ret = json_object_new_array();
    for (int i = 0; i < vm->cfg.ndrives; i++) {
        const struct vm_drive *d = &vm->cfg.drives[i];
        struct vm_drive_info di = { .format = d->format[0] ? d->format : "raw" };
        if (vm->board && vm->board->drive_info)
            vm->board->drive_info(vm, i, &di);
        struct json_object *b = json_object_new_object(), *ins = json_object_new_object();
        char name[32], qdev[64];
        snprintf(name, sizeof(name), "virtio%d", i);
        snprintf(qdev, sizeof(qdev), "/machine/peripheral-anon/device[%d]/virtio-backend", i);
        json_object_object_add(ins, "file", json_object_new_string(d->file));
        json_object_object_add(ins, "ro", json_object_new_boolean(d->readonly));
        json_object_object_add(ins, "drv", json_object_new_string(di.format));
        json_object_object_add(ins, "backing_file_depth", json_object_new_int(di.depth));
        json_object_object_add(ins, "encrypted", json_object_new_boolean(false));
        json_object_object_add(ins, "virtual-size", json_object_new_uint64(di.size));
        json_object_object_add(b, "device", json_object_new_string(name));
        json_object_object_add(b, "qdev", json_object_new_string(qdev));
        json_object_object_add(b, "locked", json_object_new_boolean(false));
        json_object_object_add(b, "removable", json_object_new_boolean(false));
        json_object_object_add(b, "type", json_object_new_string("unknown"));
        json_object_object_add(b, "inserted", ins);
        json_object_array_add(r->ret, b);
    }
}

/* x-vmon-translate {"addr": GVA, "cpu-index": N}: the four address spaces (monitor/translate.h). */
static void qmp_cmd_x_vmon_translate(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    struct monitor_xlat t;
    uint64_t cpu = arg_u64(args, "cpu-index", 0);
    char err[128];
    if (cpu >= VM_MAX_CPUS) {
        fail(r, "%s", "Invalid parameter 'cpu-index'");
        return;
    }
    if (monitor_translate(s->vm, (int)cpu, arg_u64(args, "addr", 0), &t, err, sizeof(err)) < 0)
        fail(r, "%s", err);
    else
        r->ret = monitor_translate_json(&t);
}

static void qmp_cmd_query_commands(struct qmp_session *s, struct json_object *args, struct qmp_result *r);

/* A command's arguments (qapi: name, type, optional); at most 2 per command here. */
struct qmp_arg {
    const char *name;
    enum json_type type;
    bool optional;
};

static const struct qmp_command {
    const char *name;
    qmp_handler *fn;
    struct qmp_arg args[4];
} commands[] = {
    { .name = "qmp_capabilities", .fn = qmp_cmd_capabilities },
    { .name = "query-status", .fn = qmp_cmd_query_status },
    { .name = "query-version", .fn = qmp_cmd_query_version },
    { .name = "query-commands", .fn = qmp_cmd_query_commands },
    { .name = "query-cpus-fast", .fn = qmp_cmd_query_cpus_fast },
    { .name = "query-kvm", .fn = qmp_cmd_query_kvm },
    { .name = "query-name", .fn = qmp_cmd_query_name },
    { .name = "stop", .fn = qmp_cmd_stop },
    { .name = "cont", .fn = qmp_cmd_cont },
    { .name = "system_reset", .fn = qmp_cmd_system_reset },
    { .name = "system_powerdown", .fn = qmp_cmd_system_powerdown },
    { .name = "quit", .fn = qmp_cmd_quit },
    { .name = "send-key", .fn = qmp_cmd_send_key,
      .args = { { "keys", json_type_array, false }, { "hold-time", json_type_int, true } } },
    { .name = "human-monitor-command", .fn = qmp_cmd_human_monitor_command,
      .args = { { "command-line", json_type_string, false } } },
    { .name = "query-block", .fn = qmp_cmd_query_block },
    { .name = "x-vmon-save-state", .fn = qmp_cmd_x_vmon_save_state,
      .args = { { "file", json_type_string, false } } },
    { .name = "x-vmon-restore-state", .fn = qmp_cmd_x_vmon_restore_state,
      .args = { { "file", json_type_string, false } } },
    { .name = "migrate", .fn = qmp_cmd_migrate,
      .args = { { "uri", json_type_string, false }, { "blk", json_type_boolean, true } } },
    { .name = "query-migrate", .fn = qmp_cmd_query_migrate },
    { .name = "migrate_cancel", .fn = qmp_cmd_migrate_cancel },
    { .name = "migrate-set-parameters", .fn = qmp_cmd_migrate_set_parameters,
      .args = { { "downtime-limit", json_type_int, true }, { "max-bandwidth", json_type_int, true } } },
    { .name = "snapshot-save", .fn = qmp_cmd_snapshot_save,
      .args = { { "job-id", json_type_string, false }, { "tag", json_type_string, false },
                { "vmstate", json_type_string, false }, { "devices", json_type_array, false } } },
    { .name = "snapshot-load", .fn = qmp_cmd_snapshot_load,
      .args = { { "job-id", json_type_string, false }, { "tag", json_type_string, false },
                { "vmstate", json_type_string, false }, { "devices", json_type_array, false } } },
    { .name = "snapshot-delete", .fn = qmp_cmd_snapshot_delete,
      .args = { { "job-id", json_type_string, false }, { "tag", json_type_string, false },
                { "devices", json_type_array, false } } },
    { .name = "query-jobs", .fn = qmp_cmd_query_jobs },
    { .name = "job-dismiss", .fn = qmp_cmd_job_dismiss, .args = { { "id", json_type_string, false } } },
    { .name = "x-vmon-translate", .fn = qmp_cmd_x_vmon_translate,
      .args = { { "addr", json_type_int, false }, { "cpu-index", json_type_int, true } } },
};

static void qmp_cmd_query_commands(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)s;
    (void)args;
    r->ret = json_object_new_array();
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "name", json_object_new_string(commands[i].name));
        json_object_array_add(r->ret, c);
    }
}

static const struct qmp_command *qmp_find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static const char *type_name(enum json_type t)
{
    switch (t) {
    case json_type_int: return "integer";
    case json_type_string: return "string";
    case json_type_boolean: return "boolean";
    case json_type_array: return "array";
    default: return "object";
    }
}

/* The arguments against the command's list, with QEMU's messages: unexpected, wrong type, missing. */
static int check_args(const struct qmp_command *c, struct json_object *args, char *d, size_t dl)
{
    size_t nspec = sizeof(c->args) / sizeof(c->args[0]);
    if (args) {
        json_object_object_foreach(args, k, v) {
            const struct qmp_arg *a = NULL;
            for (size_t i = 0; i < nspec && c->args[i].name && !a; i++)
                if (!strcmp(c->args[i].name, k))
                    a = &c->args[i];
            if (!a) {
                snprintf(d, dl, "Parameter '%.100s' is unexpected", k);
                return -1;
            }
            if (!json_object_is_type(v, a->type)) {
                snprintf(d, dl, "Invalid parameter type for '%s', expected: %s", a->name, type_name(a->type));
                return -1;
            }
        }
    }
    for (size_t i = 0; i < nspec && c->args[i].name; i++) {
        if (!c->args[i].optional && !(args && json_object_object_get_ex(args, c->args[i].name, NULL))) {
            snprintf(d, dl, "Parameter '%s' is missing", c->args[i].name);
            return -1;
        }
    }
    return 0;
}

/* Checks qmp-spec 2.3's shape: an object with a string "execute", optional object "arguments" and
 * any "id"; members besides those are refused as QEMU refuses them. */
static struct json_object *qmp_run(struct qmp_session *s, struct json_object *req)
{
    if (!req)
        return reply_err("GenericError", "JSON parse error", NULL);
    if (!json_object_is_type(req, json_type_object))
        return reply_err("GenericError", "QMP input must be a JSON object", NULL);
    struct json_object *id = NULL, *exec, *args = NULL;
    json_object_object_get_ex(req, "id", &id);
    if (!json_object_object_get_ex(req, "execute", &exec))
        return reply_err("GenericError", "QMP input lacks member 'execute'", id);
    if (!json_object_is_type(exec, json_type_string))
        return reply_err("GenericError", "QMP input member 'execute' must be a string", id);
    if (json_object_object_get_ex(req, "arguments", &args) && !json_object_is_type(args, json_type_object))
        return reply_err("GenericError", "QMP input member 'arguments' must be an object", id);
    json_object_object_foreach(req, key, val) {
        (void)val;
        if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
            char d[160];
            snprintf(d, sizeof(d), "QMP input member '%.100s' is unexpected", key);
            return reply_err("GenericError", d, id);
        }
    }
    const char *name = json_object_get_string(exec);
    const struct qmp_command *c = qmp_find(name);
    char d[200];
    if (!c) {
        snprintf(d, sizeof(d), "The command %.100s has not been found", name);
        return reply_err("CommandNotFound", d, id);
    }
    if (!s->command_mode && c->fn != qmp_cmd_capabilities) {
        snprintf(d, sizeof(d), "Expecting capabilities negotiation with 'qmp_capabilities'");
        return reply_err("CommandNotFound", d, id);
    }
    if (check_args(c, args, d, sizeof(d)) < 0)
        return reply_err("GenericError", d, id);
    struct qmp_result r = { 0 };
    c->fn(s, args, &r);
    if (r.err_class) {
        json_object_put(r.ret);
        return reply_err(r.err_class, r.desc, id);
    }
    return reply_ok(r.ret, id);
}

char *qmp_dispatch(struct qmp_session *s, struct json_object *req)
{
    return json_line(qmp_run(s, req));
}

int qmp_session_init(struct qmp_session *s, struct vm *vm, const char *version)
{
    *s = (struct qmp_session){ .vm = vm, .version = version, .tok = json_tokener_new() };
    return s->tok ? 0 : -ENOMEM;
}

void qmp_session_fini(struct qmp_session *s)
{
    qmp_jobs_free(s);
    if (s->tok)
        json_tokener_free(s->tok);
    s->tok = NULL;
}

static void skip_space(const char **buf, size_t *n)
{
    while (*n && (**buf == '\n' || **buf == '\r' || **buf == ' ' || **buf == '\t')) {
        (*buf)++;
        (*n)--;
    }
}

void qmp_feed(struct qmp_session *s, const char *buf, size_t n,
              void (*reply)(void *opaque, const char *line), void *opaque)
{
    while (n) {
        if (s->skip_line) {
            const char *nl = memchr(buf, '\n', n);
            if (!nl)
                return;
            s->skip_line = false;
            n -= (size_t)(nl + 1 - buf);
            buf = nl + 1;
            continue;
        }
        skip_space(&buf, &n);
        if (!n)
            return;
        int len = n > INT32_MAX ? INT32_MAX : (int)n;
        struct json_object *o = json_tokener_parse_ex(s->tok, buf, len);
        enum json_tokener_error e = json_tokener_get_error(s->tok);
        if (e == json_tokener_continue)
            return;            /* json-c kept what it needs; the value goes on in the next read */
        size_t used = json_tokener_get_parse_end(s->tok);
        json_tokener_reset(s->tok);
        char *line = qmp_dispatch(s, e == json_tokener_success ? o : NULL);
        json_object_put(o);
        reply(opaque, line);
        free(line);
        for (int i = 0; i < s->nevents; i++) {   /* after the reply, as QEMU sends a job's events */
            reply(opaque, s->events[i]);
            free(s->events[i]);
        }
        s->nevents = 0;
        if (e != json_tokener_success)
            s->skip_line = true;
        used = used ? (used < n ? used : n) : 1;
        buf += used;
        n -= used;
    }
}

char *qmp_event_line(enum vm_event ev, int reason)
{
    static const char *const names[] = {
        [VM_EVENT_STOP] = "STOP", [VM_EVENT_RESUME] = "RESUME", [VM_EVENT_SHUTDOWN] = "SHUTDOWN",
        [VM_EVENT_RESET] = "RESET", [VM_EVENT_POWERDOWN] = "POWERDOWN", [VM_EVENT_MIGRATION] = "MIGRATION",
    };
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct json_object *o = json_object_new_object(), *ts = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string(names[ev]));
    if (ev == VM_EVENT_SHUTDOWN || ev == VM_EVENT_RESET) {   /* qapi/run-state.json */
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "guest", json_object_new_boolean(vm_cause_is_guest(reason)));
        json_object_object_add(d, "reason", json_object_new_string(vm_cause_name(reason)));
        json_object_object_add(o, "data", d);
    } else if (ev == VM_EVENT_MIGRATION) {                   /* qapi/migration.json */
        json_object_object_add(o, "data", qmp_migration_event_data(reason));
    }
    json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
    json_object_object_add(ts, "microseconds", json_object_new_int64(tv.tv_usec));
    json_object_object_add(o, "timestamp", ts);
    return json_line(o);
}
