/* What machine/migrate.c (control) shares with migrate-precopy.c (the source's thread) and
 * migrate-in.c (the destination). */
#ifndef VMON_MACHINE_MIGRATE_INT_H
#define VMON_MACHINE_MIGRATE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "machine/migrate.h"
#include "migration/channel.h"
#include "migration/stream.h"

struct vm_migration {
    struct vm *vm;
    pthread_mutex_t lock;       /* info, ch while it opens/closes */
    struct vm_mig_info info;    /* under lock */
    pthread_t thread;
    bool joinable;              /* thread must be joined before the next start */
    _Atomic bool cancel;
    struct mig_channel ch;
    char uri[1024];
    uint64_t start_ns;          /* CLOCK_MONOTONIC */
};

/* The source's thread (migrate-precopy.c): runs the whole migration, leaving info's status
 * completed, failed or cancelled. */
void *mig_precopy_thread(void *arg);
/* Update info under the lock and tell the monitors (the MIGRATION event) when the status changes. */
void mig_set_status(struct vm_migration *m, int status, const char *error);
void mig_update(struct vm_migration *m, const struct vm_mig_info *progress);

#endif
