/* What monitor/qmp.c shares with the command files beside it (monitor/qmp-job.c). Not for other
 * folders. */
#ifndef VMON_MONITOR_QMP_INT_H
#define VMON_MONITOR_QMP_INT_H

#include "monitor/qmp.h"

/* A command handler: *ret on success, else an error class and description. */
struct qmp_result {
    struct json_object *ret;
    const char *err_class;
    char desc[160];
};

typedef void qmp_handler(struct qmp_session *s, struct json_object *args, struct qmp_result *r);

/* GenericError with desc. */
void qmp_fail(struct qmp_result *r, const char *desc);

/* qmp-job.c: QEMU 7.2's snapshot jobs (qapi/migration.json snapshot-save, -load, -delete) and the
 * job commands (qapi/job.json query-jobs, job-dismiss). */
qmp_handler qmp_cmd_snapshot_save, qmp_cmd_snapshot_load, qmp_cmd_snapshot_delete;
qmp_handler qmp_cmd_query_jobs, qmp_cmd_job_dismiss;
void qmp_jobs_free(struct qmp_session *s);

#endif
