/* QMP's snapshot jobs as QEMU 7.2 has them (qapi/migration.json snapshot-save, snapshot-load,
 * snapshot-delete; qapi/job.json query-jobs, job-dismiss, JOB_STATUS_CHANGE): vmon runs the job
 * before the command returns, with the vCPUs parked meanwhile (machine/savevm.h), and sends the job's
 * status changes (created, running, waiting, pending, concluded) right after the reply; the job stays
 * concluded, with its error if it failed, until job-dismiss. vmon snapshots every writable disk with
 * the VM state on the first, so devices must name them all and vmstate the first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <json-c/json.h>

#include "machine/savevm.h"
#include "monitor/qmp-int.h"

struct qmp_job {
    char id[64];
    const char *type;          /* "snapshot-save", ... (QEMU's JobType) */
    char *error;               /* NULL: it succeeded */
    struct qmp_job *next;
};

static void event(struct qmp_session *s, const char *id, const char *status)
{
    if (s->nevents >= QMP_MAX_EVENTS)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct json_object *o = json_object_new_object(), *d = json_object_new_object(),
                       *ts = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string("JOB_STATUS_CHANGE"));
    json_object_object_add(d, "status", json_object_new_string(status));
    json_object_object_add(d, "id", json_object_new_string(id));
    json_object_object_add(o, "data", d);
    json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
    json_object_object_add(ts, "microseconds", json_object_new_int64(tv.tv_usec));
    json_object_object_add(o, "timestamp", ts);
    char *line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    if (line)
        s->events[s->nevents++] = line;
}

static struct qmp_job *find(struct qmp_session *s, const char *id, struct qmp_job ***link)
{
    for (struct qmp_job **p = &s->jobs; *p; p = &(*p)->next) {
        if (!strcmp((*p)->id, id)) {
            if (link)
                *link = p;
            return *p;
        }
    }
    return NULL;
}

/* devices (and vmstate, when given) against the disks savevm takes: 0, or -EINVAL with why. */
static int check_devices(struct qmp_session *s, struct json_object *args, bool vmstate, char *err, size_t errlen)
{
    char names[VM_MAX_DRIVES][VM_DISK_NAME_LEN];
    int n = vm_savevm_disk_names(s->vm, names, VM_MAX_DRIVES, err, errlen);
    if (n < 0)
        return n;
    struct json_object *devs = NULL, *vs = NULL;
    json_object_object_get_ex(args, "devices", &devs);
    size_t nd = json_object_array_length(devs);
    bool seen[VM_MAX_DRIVES] = { false };
    for (size_t i = 0; i < nd; i++) {
        struct json_object *e = json_object_array_get_idx(devs, i);
        const char *name = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
        int k = 0;
        while (k < n && strcmp(names[k], name))
            k++;
        if (k == n) {
            snprintf(err, errlen, "No block device node '%s' that takes snapshots", name);
            return -EINVAL;
        }
        seen[k] = true;
    }
    for (int k = 0; k < n; k++) {
        if (!seen[k]) {
            snprintf(err, errlen, "vmon snapshots every writable disk: devices must list '%s' too", names[k]);
            return -EINVAL;
        }
    }
    if (vmstate && json_object_object_get_ex(args, "vmstate", &vs) && strcmp(json_object_get_string(vs), names[0])) {
        snprintf(err, errlen, "vmon keeps the VM state on the first disk: give vmstate '%s'", names[0]);
        return -EINVAL;
    }
    return 0;
}

static void run_job(struct qmp_session *s, struct json_object *args, const char *type, struct qmp_result *r)
{
    struct json_object *idv = NULL, *tagv = NULL;
    json_object_object_get_ex(args, "job-id", &idv);
    json_object_object_get_ex(args, "tag", &tagv);
    const char *id = json_object_get_string(idv), *tag = json_object_get_string(tagv);
    if (find(s, id, NULL)) {
        char d[120];
        snprintf(d, sizeof(d), "Job ID '%.64s' already in use", id);
        qmp_fail(r, d);
        return;
    }
    struct qmp_job *j = calloc(1, sizeof(*j));
    if (!j || strlen(id) >= sizeof(j->id)) {
        free(j);
        qmp_fail(r, j ? "job-id too long" : "out of memory");
        return;
    }
    snprintf(j->id, sizeof(j->id), "%s", id);
    j->type = type;
    j->next = s->jobs;
    s->jobs = j;
    event(s, id, "created");
    event(s, id, "running");
    char err[400] = "";
    int e = check_devices(s, args, strcmp(type, "snapshot-delete") != 0, err, sizeof(err));
    if (e == 0 && !strcmp(type, "snapshot-save"))
        e = vm_savevm(s->vm, tag, err, sizeof(err));
    else if (e == 0 && !strcmp(type, "snapshot-load"))
        e = vm_loadvm(s->vm, tag, err, sizeof(err));
    else if (e == 0)
        e = vm_delvm(s->vm, tag, err, sizeof(err));
    if (e < 0)
        j->error = strdup(err[0] ? err : strerror(-e));
    event(s, id, "waiting");
    event(s, id, "pending");
    event(s, id, "concluded");
}

void qmp_cmd_snapshot_save(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    run_job(s, args, "snapshot-save", r);
}

void qmp_cmd_snapshot_load(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    run_job(s, args, "snapshot-load", r);
}

void qmp_cmd_snapshot_delete(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    run_job(s, args, "snapshot-delete", r);
}

void qmp_cmd_query_jobs(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    (void)args;
    r->ret = json_object_new_array();
    for (struct qmp_job *j = s->jobs; j; j = j->next) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "current-progress", json_object_new_int(1));
        json_object_object_add(o, "status", json_object_new_string("concluded"));
        json_object_object_add(o, "total-progress", json_object_new_int(1));
        json_object_object_add(o, "type", json_object_new_string(j->type));
        json_object_object_add(o, "id", json_object_new_string(j->id));
        if (j->error)
            json_object_object_add(o, "error", json_object_new_string(j->error));
        json_object_array_add(r->ret, o);
    }
}

void qmp_cmd_job_dismiss(struct qmp_session *s, struct json_object *args, struct qmp_result *r)
{
    struct json_object *idv = NULL;
    json_object_object_get_ex(args, "id", &idv);
    struct qmp_job **link = NULL;
    struct qmp_job *j = find(s, json_object_get_string(idv), &link);
    if (!j) {
        char d[120];
        snprintf(d, sizeof(d), "Job not found");
        qmp_fail(r, d);
        return;
    }
    *link = j->next;
    event(s, j->id, "null");
    free(j->error);
    free(j);
}

void qmp_jobs_free(struct qmp_session *s)
{
    while (s->jobs) {
        struct qmp_job *j = s->jobs;
        s->jobs = j->next;
        free(j->error);
        free(j);
    }
    for (int i = 0; i < s->nevents; i++)
        free(s->events[i]);
    s->nevents = 0;
}
