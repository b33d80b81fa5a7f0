/* Live migration's control (machine/migrate.h): starting, cancelling and querying the source's
 * thread (migrate-precopy.c), its parameters, the MIGRATION events. Runs on the monitor's thread;
 * the info block is shared with the migration thread under the lock. */
#include "machine/migrate-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/vm-int.h"

const char *vm_mig_status_name(int status)
{
    static const char *const names[] = {
        [VM_MIG_NONE] = "none", [VM_MIG_SETUP] = "setup", [VM_MIG_ACTIVE] = "active",
        [VM_MIG_DEVICE] = "device", [VM_MIG_COMPLETED] = "completed", [VM_MIG_FAILED] = "failed",
        [VM_MIG_CANCELLING] = "cancelling", [VM_MIG_CANCELLED] = "cancelled",
    };
    return status >= 0 && status <= VM_MIG_CANCELLED ? names[status] : "none";
}

uint64_t vm_mig_now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct vm_migration *vm_migration_get(struct vm *vm)
{
    if (vm->migration)
        return vm->migration;
    struct vm_migration *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->vm = vm;
    pthread_mutex_init(&m->lock, NULL);
    m->ch.fd = -1;
    m->info.downtime_ms = -1;
    m->info.downtime_limit_ms = MIG_DEFAULT_DOWNTIME_MS;
    vm->migration = m;
    return m;
}

static bool running(int status)
{
    return status == VM_MIG_SETUP || status == VM_MIG_ACTIVE || status == VM_MIG_DEVICE ||
           status == VM_MIG_CANCELLING;
}

void mig_set_status(struct vm_migration *m, int status, const char *error)
{
    pthread_mutex_lock(&m->lock);
    bool changed = m->info.status != status;
    m->info.status = status;
    if (error)
        snprintf(m->info.error, sizeof(m->info.error), "%s", error);
    if (!running(status))
        m->info.total_ms = (vm_mig_now_ns(CLOCK_MONOTONIC) - m->start_ns) / 1000000;
    pthread_mutex_unlock(&m->lock);
    if (changed)
        vm_emit(m->vm, VM_EVENT_MIGRATION, status);
}

void mig_update(struct vm_migration *m, const struct vm_mig_info *p)
{
    pthread_mutex_lock(&m->lock);
    m->info.passes = p->passes;
    m->info.transferred = p->transferred;
    m->info.remaining = p->remaining;
    m->info.pages = p->pages;
    m->info.zero_pages = p->zero_pages;
    m->info.downtime_ms = p->downtime_ms;
    m->info.downtime_to_resume = p->downtime_to_resume;
    pthread_mutex_unlock(&m->lock);
}

void vm_migration_set_info(struct vm *vm, const struct vm_mig_info *info)
{
    struct vm_migration *m = vm_migration_get(vm);
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->info = *info;
    pthread_mutex_unlock(&m->lock);
}

int vm_migrate(struct vm *vm, const char *uri, bool blk, char *err, size_t errlen)
{
    struct vm_migration *m = vm_migration_get(vm);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (running(m->info.status)) {
        snprintf(err, errlen, "a migration is already in progress");
        return -EBUSY;
    }
    if (vm_ended(vm)) {
        snprintf(err, errlen, "the VM has shut down");
        return -EINVAL;
    }
    if (!vm->accel->dirty_log || !vm->accel->dirty_sync || !vm->accel->get_arch) {
        snprintf(err, errlen, "the %s accelerator cannot log dirty pages", vm->accel->name);
        return -EINVAL;
    }
    if (strncmp(uri, "tcp:", 4) && strncmp(uri, "exec:", 5) && strncmp(uri, "file:", 5)) {
        snprintf(err, errlen, "%s: unknown migration URI (tcp:HOST:PORT, exec:CMD or file:PATH)", uri);
        return -EINVAL;
    }
    if (m->joinable)
        pthread_join(m->thread, NULL);
    m->joinable = false;
    snprintf(m->uri, sizeof(m->uri), "%s", uri);
    m->blk = blk;
    atomic_store(&m->cancel, false);
    pthread_mutex_lock(&m->lock);
    uint64_t limit = m->info.downtime_limit_ms, bw = m->info.max_bandwidth;
    memset(&m->info, 0, sizeof(m->info));
    m->info.downtime_ms = -1;
    m->info.downtime_limit_ms = limit;
    m->info.max_bandwidth = bw;
    m->info.ram_total = vm->mem.ram_size;
    m->start_ns = vm_mig_now_ns(CLOCK_MONOTONIC);
    pthread_mutex_unlock(&m->lock);
    mig_set_status(m, VM_MIG_SETUP, NULL);
    int r = pthread_create(&m->thread, NULL, mig_precopy_thread, m);
    if (r) {
        snprintf(err, errlen, "migration thread: %s", strerror(r));
        mig_set_status(m, VM_MIG_FAILED, err);
        return -r;
    }
    pthread_setname_np(m->thread, "migration");
    m->joinable = true;
    return 0;
}

int vm_migrate_cancel(struct vm *vm)
{
    struct vm_migration *m = vm->migration;
    if (!m || !running(m->info.status))
        return -ENOENT;
    atomic_store(&m->cancel, true);
    mig_set_status(m, VM_MIG_CANCELLING, NULL);
    pthread_mutex_lock(&m->lock);
    mig_channel_abort(&m->ch);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int vm_migrate_reactivate(struct vm *vm, char *err, size_t errlen)
{
    struct vm_migration *m = vm->migration;
    if (!m)
        return 0;
    pthread_mutex_lock(&m->lock);
    bool handed = m->handed_over && !running(m->info.status);
    pthread_mutex_unlock(&m->lock);
    if (!handed)
        return 0;
    int r = vm->board->disks_handover(vm, false, err, errlen);
    if (r < 0)
        return r;
    if (vm->board->quiesce)
        vm->board->quiesce(vm, false);
    pthread_mutex_lock(&m->lock);
    m->handed_over = false;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int vm_cont(struct vm *vm, char *err, size_t errlen)
{
    int r = vm_migrate_reactivate(vm, err, errlen);
    return r < 0 ? r : vm_resume(vm);
}

void vm_migrate_query(struct vm *vm, struct vm_mig_info *out)
{
    struct vm_migration *m = vm_migration_get(vm);
    if (!m) {
        memset(out, 0, sizeof(*out));
        out->downtime_ms = -1;
        return;
    }
    pthread_mutex_lock(&m->lock);
    *out = m->info;
    if (running(out->status))
        out->total_ms = (vm_mig_now_ns(CLOCK_MONOTONIC) - m->start_ns) / 1000000;
    pthread_mutex_unlock(&m->lock);
}

int vm_migrate_set(struct vm *vm, const char *name, uint64_t value, char *err, size_t errlen)
{
    struct vm_migration *m = vm_migration_get(vm);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    bool dl = !strcmp(name, "downtime-limit"), bw = !strcmp(name, "max-bandwidth");
    if (!dl && !bw) {
        snprintf(err, errlen, "unknown parameter '%s' (downtime-limit, max-bandwidth)", name);
        return -EINVAL;
    }
    if (dl && (value < 1 || value > 2000000)) {   /* QEMU's range: up to 2000 s */
        snprintf(err, errlen, "downtime-limit must be 1 to 2000000 ms");
        return -EINVAL;
    }
    pthread_mutex_lock(&m->lock);
    if (dl)
        m->info.downtime_limit_ms = value;
    else
        m->info.max_bandwidth = value;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

void vm_migrate_fini(struct vm *vm)
{
    struct vm_migration *m = vm->migration;
    if (!m)
        return;
    if (m->joinable) {
        vm_migrate_cancel(vm);
        pthread_join(m->thread, NULL);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
    vm->migration = NULL;
}
