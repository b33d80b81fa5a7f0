/* Live migration between two vmon processes (issue 18; QEMU's migrate / -incoming in spirit): the
 * source runs iterative pre-copy on its own thread (machine/migrate.c): pass 1 sends all RAM while the
 * guest runs, each later pass the pages the dirty log (mm/dirty.h) saw written since the last, until
 * what is left fits the downtime limit at the measured bandwidth or MIG_MAX_PASSES is reached; then
 * the vCPUs stop, the last dirty pages, the vCPUs' and devices' state (a state file's sections) and
 * END go, and the destination (machine/migrate-in.c, before its vCPUs start) resumes. The stream is
 * migration/stream.h's, over migration/channel.h's tcp:, exec: and file:. */
#ifndef VMON_MACHINE_MIGRATE_H
#define VMON_MACHINE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* QEMU's MigrationStatus (qapi/migration.json), the ones vmon goes through. */
enum vm_mig_status {
    VM_MIG_NONE, VM_MIG_SETUP, VM_MIG_ACTIVE, VM_MIG_DEVICE, VM_MIG_COMPLETED, VM_MIG_FAILED,
    VM_MIG_CANCELLING, VM_MIG_CANCELLED,
};
const char *vm_mig_status_name(int status);   /* "active", ... */

#define MIG_DEFAULT_DOWNTIME_MS 300u   /* QEMU's downtime-limit default */
#define MIG_MAX_PASSES 30u             /* pre-copy passes before the VM stops whatever is left */

struct vm_mig_info {
    int status;                 /* enum vm_mig_status */
    bool incoming;              /* this VM was the destination */
    unsigned passes;            /* pre-copy passes made while the guest ran (1: all of RAM once) */
    uint64_t transferred;       /* bytes of stream */
    uint64_t remaining;         /* bytes of RAM still to send (dirty, or not reached by pass 1) */
    uint64_t ram_total;         /* bytes of RAM */
    uint64_t pages, zero_pages; /* RAM pages sent as data and as zero records */
    uint64_t total_ms;          /* from migrate to the end (so far, while it runs) */
    int64_t downtime_ms;        /* vCPUs stopped at the source to the destination's resume; -1: none */
    bool downtime_to_resume;    /* measured up to the destination's answer (tcp:); else up to the end
                                   of the stream (exec:, file:), which the destination's resume follows */
    uint64_t downtime_limit_ms, max_bandwidth;   /* the parameters (max_bandwidth bytes/s, 0: none) */
    char error[256];            /* failed: why */
};

/* On the monitor's thread. Start migrating to uri, the disks' contents with it when blk (migrate -b;
 * else they are on shared storage); -EBUSY while one runs, -EINVAL for a bad URI or a VM that has
 * ended (err says why). */
int vm_migrate(struct vm *vm, const char *uri, bool blk, char *err, size_t errlen);
/* Cancel the running one (-ENOENT: none). The VM runs on. */
int vm_migrate_cancel(struct vm *vm);
void vm_migrate_query(struct vm *vm, struct vm_mig_info *out);
/* Before the VM runs again after a completed migration (QEMU's cont in postmigrate): take back the
 * disks it handed over, as a failed migration does; refused (-EIO, err: the drive and why: the image
 * locks, while the destination still holds them) so two VMs never write one image. 0 where there
 * is nothing to take back. */
int vm_migrate_reactivate(struct vm *vm, char *err, size_t errlen);
/* cont: vm_migrate_reactivate, then vm_resume. */
int vm_cont(struct vm *vm, char *err, size_t errlen);
/* "downtime-limit" (ms) or "max-bandwidth" (bytes/s); -EINVAL with err for another name or value. */
int vm_migrate_set(struct vm *vm, const char *name, uint64_t value, char *err, size_t errlen);

/* The destination, on the main thread before the vCPUs start (vm_run, -incoming): wait for the stream
 * on uri and load it; 0, or -EINVAL (refused stream: the caller exits 2) / -errno with err. */
int vm_migrate_incoming(struct vm *vm, const char *uri, char *err, size_t errlen);
/* vm_destroy: cancel and wait for a migration thread. */
void vm_migrate_fini(struct vm *vm);

/* What migrate.c shares with migrate-in.c. */
struct vm_migration *vm_migration_get(struct vm *vm);   /* created on first use; NULL: no memory */
void vm_migration_set_info(struct vm *vm, const struct vm_mig_info *info);
uint64_t vm_mig_now_ns(int clock);

#endif
