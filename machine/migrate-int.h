/* What machine/migrate.c (control) shares with migrate-precopy.c (the source's thread) and
 * migrate-in.c (the destination). */
#ifndef VMON_MACHINE_MIGRATE_INT_H
#define VMON_MACHINE_MIGRATE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "machine/migrate.h"
#include "machine/vm.h"
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
    bool blk;                   /* migrate -b */
    uint64_t start_ns;          /* CLOCK_MONOTONIC */
    bool handed_over;           /* under lock: a completed migration left the disks handed over and
                                   quiesced (QEMU's postmigrate); vm_migrate_reactivate takes them back */
};

/* The source's pre-copy state (migrate-precopy.c, migrate-send.c). */
struct precopy {
    struct vm_migration *m;
    struct vm *vm;
    struct mig_io io;
    struct vm_mig_info p;       /* progress, copied to m->info as it goes */
    uint64_t npages;
    uint64_t *bits;             /* pages to send next */
    uint64_t *taken;            /* scratch: the marks one sync took */
    uint64_t bw_bytes, bw_start_ns;   /* max-bandwidth's window (a pass) */
    bool final;                 /* stop-and-copy (disks quiesced): sent as fast as the channel goes */
    bool stopped;               /* the vCPUs were stopped by stop_and_copy */
    bool handed;                /* the disks were handed over */
    bool blk;                   /* migrate -b: the disks' bytes go in the stream */
    struct mig_disk {
        uint64_t size;          /* bytes; 0: no disk i */
        struct dirty_log log;   /* chunks written */
        uint64_t *bits;         /* scratch for a take */
    } disks[VM_MAX_DRIVES];
    uint8_t *chunk;             /* VIRTIO_BLK_CHUNK bytes */
    char err[256];
};

/* Send every page marked in c->bits, or all of RAM (migrate-send.c): runs of zero pages as ZERO
 * records, the others as PAGE records, progress in c->p, paced by max-bandwidth outside the final
 * phase; -ECANCELED once a cancel came. */
int mig_send_pages(struct precopy *c, bool all);
int mig_check_cancel(struct precopy *c);
/* Count bytes sent against max-bandwidth, sleeping as it asks (not in the final phase). */
void mig_throttle(struct precopy *c, uint64_t bytes);

/* migrate -b (migrate-disk.c): every disk's writes logged from mig_disks_start; mig_disks_send sends
 * every chunk that is not all zeros (all: the first pass; the destination's images start blank) or
 * those written since the last send; mig_disks_dirty: bytes written since; mig_disks_stop ends it. */
int mig_disks_start(struct precopy *c);
int mig_disks_send(struct precopy *c, bool all);
uint64_t mig_disks_dirty(struct precopy *c);
void mig_disks_stop(struct precopy *c);

/* The source's thread (migrate-precopy.c): runs the whole migration, leaving info's status
 * completed, failed or cancelled. */
void *mig_precopy_thread(void *arg);
/* Update info under the lock and tell the monitors (the MIGRATION event) when the status changes. */
void mig_set_status(struct vm_migration *m, int status, const char *error);
void mig_update(struct vm_migration *m, const struct vm_mig_info *progress);

#endif
