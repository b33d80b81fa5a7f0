/* QMP, the machine-readable monitor (QEMU's docs/interop/qmp-spec): one session's protocol state and
 * the command dispatcher, apart from any socket so tests can drive it with a fake VM. */
#ifndef VMON_MONITOR_QMP_H
#define VMON_MONITOR_QMP_H

#include <stdbool.h>
#include <stddef.h>

#include "machine/vm.h"

struct json_tokener;
struct qmp_job;
#define QMP_MAX_EVENTS 16      /* event lines one command may queue */
struct qmp_session {
    struct vm *vm;
    const char *version;       /* vmon's version, "0.1.0" */
    bool command_mode;         /* after qmp_capabilities (qmp-spec 4: capabilities negotiation) */
    bool quit;                 /* set by the quit command: the caller ends the VM after replying */
    struct json_tokener *tok;  /* the value being received (qmp_feed) */
    bool skip_line;            /* after a parse error, the rest of its line is dropped */
    struct qmp_job *jobs;      /* snapshot jobs until job-dismiss (monitor/qmp-job.c) */
    char *events[QMP_MAX_EVENTS];   /* lines qmp_feed sends after the command's reply */
    int nevents;
};

/* 0, or -ENOMEM. fini frees what init took (safe on a zeroed session). */
int qmp_session_init(struct qmp_session *s, struct vm *vm, const char *version);
void qmp_session_fini(struct qmp_session *s);
/* Bytes of the stream (qmp-spec 2.1: JSON values, whitespace between): each complete value is
 * dispatched and its reply line handed to reply(opaque, line) (then check s->quit); a parse error is
 * answered once and the rest of its line dropped, however the line arrives. Event-loop thread. */
void qmp_feed(struct qmp_session *s, const char *buf, size_t n,
              void (*reply)(void *opaque, const char *line), void *opaque);

/* The greeting (qmp-spec 2.2), a malloc'd line without the newline. */
char *qmp_greeting(const struct qmp_session *s);
/* Handle one parsed JSON value (NULL: a parse error) and return the malloc'd reply line (qmp-spec
 * 2.4/2.5); never NULL except on out of memory. Runs on the event-loop thread. */
struct json_object;
char *qmp_dispatch(struct qmp_session *s, struct json_object *req);
/* An event line (qmp-spec 2.6) with the host's wall-clock timestamp; malloc'd. reason: SHUTDOWN's
 * and RESET's enum vm_cause. */
char *qmp_event_line(enum vm_event ev, int reason);

#endif
