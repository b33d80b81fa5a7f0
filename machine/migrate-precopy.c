/* The source's side of a live migration (machine/migrate.h), on its own thread: the channel and
 * header, the dirty log on, pass 1 over all RAM, later passes over what the log marked, each while the
 * guest runs; the convergence test before each pass (the dirty bytes at the bandwidth of the pass
 * before fit the downtime limit, or MIG_MAX_PASSES were made); then stop-and-copy: the vCPUs stop
 * (the STOP event), the disks finish what is in flight, the last marked pages, the vCPU and device
 * sections and END go, and the destination's answer says when it resumed. The VM stays paused after
 * a completed migration (QEMU's postmigrate), and runs on after a failed or cancelled one. */
#include "machine/migrate-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine/snapshot.h"
#include "machine/vm-int.h"

/* The accelerator's marks into vm->mem.dirty and all marks taken into c->bits (ORed: pages still to
 * send stay), with the vCPUs parked: the soft CPU drops its write shortcuts in the same stop, so no
 * shortcut outlives the mark it was given for (a write through it after the take would be lost).
 * park false: the caller parked them. Returns the pages now in c->bits, or -errno. */
static int64_t sync_take(struct precopy *c, bool park)
{
    struct vm *vm = c->vm;
    int p = park ? vm_pause_quiet(vm) : -EBUSY;
    if (p == -ESHUTDOWN)
        return p;
    int r = vm->accel->dirty_sync(vm);
    if (r == 0)
        dirty_log_take(&vm->mem.dirty, c->taken);
    if (p == 0)
        vm_resume_quiet(vm);
    if (r)
        return r;
    int64_t n = 0;
    for (uint64_t i = 0; i < (c->npages + 63) / 64; i++) {
        c->bits[i] |= c->taken[i];
        n += __builtin_popcountll(c->bits[i]);
    }
    return n;
}

static int log_switch(struct vm *vm, bool on)
{
    int p = vm_pause_quiet(vm);
    if (p == -ESHUTDOWN)
        return p;
    if (on)
        dirty_log_start(&vm->mem.dirty);
    int r = vm->accel->dirty_log(vm, on);
    if (!on)
        dirty_log_stop(&vm->mem.dirty);
    if (p == 0)
        vm_resume_quiet(vm);
    return r;
}

/* Pre-copy passes while the guest runs; returns once the rest may go with the vCPUs stopped. */
static int precopy(struct precopy *c)
{
    int r = log_switch(c->vm, true);
    if (r || (c->blk && (r = mig_disks_start(c))))
        return r;
    mig_set_status(c->m, VM_MIG_ACTIVE, NULL);
    c->p.remaining = c->vm->mem.ram_size;
    for (c->p.passes = 1;; c->p.passes++) {
        uint64_t t0 = vm_mig_now_ns(CLOCK_MONOTONIC), b0 = c->io.bytes;
        c->bw_bytes = 0;
        c->bw_start_ns = t0;
        mig_update(c->m, &c->p);
        if ((r = mig_put_pass(&c->io, c->p.passes)) || (c->blk && (r = mig_disks_send(c, c->p.passes == 1))) ||
            (r = mig_send_pages(c, c->p.passes == 1)))
            return r;
        memset(c->bits, 0, (c->npages + 63) / 64 * sizeof(uint64_t));   /* sent */
        int64_t taken = sync_take(c, true);
        if (taken < 0)
            return (int)taken;
        uint64_t dirty = (uint64_t)taken;
        uint64_t ns = vm_mig_now_ns(CLOCK_MONOTONIC) - t0, bytes = c->io.bytes - b0;
        double bytes_per_ms = ns ? (double)bytes * 1e6 / (double)ns : 1e12;
        pthread_mutex_lock(&c->m->lock);
        uint64_t limit_ms = c->m->info.downtime_limit_ms;
        pthread_mutex_unlock(&c->m->lock);
        uint64_t disk = c->blk ? mig_disks_dirty(c) : 0;
        c->p.remaining = dirty * 4096 + disk;
        mig_update(c->m, &c->p);
        if ((double)(dirty * (4096 + 16) + disk) <= bytes_per_ms * (double)limit_ms || c->p.passes >= MIG_MAX_PASSES)
            return 0;   /* c->bits go with the vCPUs stopped */
    }
}

/* Stop-and-copy: the vCPUs stopped (c->stopped: by us, to resume them if this fails), the disks
 * quiesced, the last pages, the sections, the disks handed over (c->handed), END. */
static int stop_and_copy(struct precopy *c, uint64_t *stop_ns)
{
    *stop_ns = vm_mig_now_ns(CLOCK_REALTIME);
    int p = vm_pause(c->vm);
    if (p == -ESHUTDOWN)
        return p;
    c->stopped = p == 0;
    c->final = true;
    mig_set_status(c->m, VM_MIG_DEVICE, NULL);
    if (c->vm->board && c->vm->board->quiesce)
        c->vm->board->quiesce(c->vm, true);
    int64_t n = sync_take(c, false);
    int r = n < 0 ? (int)n : mig_put_stop(&c->io, *stop_ns);
    if (r == 0 && c->blk)
        r = mig_disks_send(c, false);   /* quiesced: nothing is written after this */
    if (r == 0)
        r = mig_send_pages(c, false);
    struct vms_writer w;
    vms_writer_init(&w);
    if (r == 0 && (r = vm_state_sections(c->vm, &w, c->err, sizeof(c->err))) == 0)
        r = mig_put_state(&c->io, w.buf, w.len);
    vms_writer_free(&w);
    if (r == 0 && c->vm->board && c->vm->board->disks_handover) {
        c->handed = true;
        r = c->vm->board->disks_handover(c->vm, true, c->err, sizeof(c->err));
    }
    if (r == 0)
        r = mig_put_end(&c->io);
    c->p.transferred = c->io.bytes;
    return r;
}

/* Downtime: to the destination's resume where it answers, else to the end of the stream. A two-way
 * channel that gives no answer is a destination that did not resume: the migration failed. */
static int measure_downtime(struct precopy *c, uint64_t stop_ns)
{
    uint8_t b[8];
    if (c->m->ch.duplex && mig_channel_read_timeout(&c->m->ch, b, 8, 60000) < 0) {
        snprintf(c->err, sizeof(c->err), "the destination did not resume (it refused the stream?)");
        return -EPIPE;
    }
    if (c->m->ch.duplex) {
        uint64_t resumed = 0;
        for (int i = 0; i < 8; i++)
            resumed |= (uint64_t)b[i] << (8 * i);
        c->p.downtime_ms = resumed > stop_ns ? (int64_t)((resumed - stop_ns) / 1000000) : 0;
        c->p.downtime_to_resume = true;
    } else {
        c->p.downtime_ms = (int64_t)((vm_mig_now_ns(CLOCK_REALTIME) - stop_ns) / 1000000);
    }
    c->p.remaining = 0;
    mig_update(c->m, &c->p);
    return 0;
}

/* A failed or cancelled migration leaves the VM as it was: its disks, and running if it ran. (A
 * completed one leaves it paused with its disks quiesced and handed over.) */
static void take_back(struct precopy *c)
{
    char err[256];
    if (c->handed && c->vm->board->disks_handover(c->vm, false, err, sizeof(err)) < 0) {
        fprintf(stderr, "vmon: migrate: taking the disks back: %s (the VM stays paused)\n", err);
        return;
    }
    if (c->final && c->vm->board && c->vm->board->quiesce)
        c->vm->board->quiesce(c->vm, false);
    if (c->stopped)
        vm_resume(c->vm);
}

static int run(struct precopy *c)
{
    struct vm *vm = c->vm;
    struct mig_channel ch;
    int r = mig_channel_open_out(c->m->uri, &ch, c->err, sizeof(c->err));
    if (r)
        return r;
    pthread_mutex_lock(&c->m->lock);
    c->m->ch = ch;
    pthread_mutex_unlock(&c->m->lock);
    c->io = (struct mig_io){ .xfer = mig_channel_write, .opaque = &c->m->ch };
    struct mig_header h = { .version = MIG_VERSION, .ram_size = vm->mem.ram_size, .ncpus = (uint32_t)vm->ncpus };
    snprintf(h.cpu_model, sizeof(h.cpu_model), "%s", vm_snapshot_model(vm));
    uint64_t stop_ns = 0;
    if ((r = mig_check_cancel(c)) == 0 && (r = mig_put_header(&c->io, &h)) == 0 && (r = precopy(c)) == 0 &&
        (r = stop_and_copy(c, &stop_ns)) == 0)
        r = measure_downtime(c, stop_ns);
    log_switch(vm, false);
    if (c->blk)
        mig_disks_stop(c);
    pthread_mutex_lock(&c->m->lock);
    int cr = mig_channel_close(&c->m->ch);
    pthread_mutex_unlock(&c->m->lock);
    if (r == 0 && cr < 0) {
        snprintf(c->err, sizeof(c->err), "%.200s: the command failed", c->m->uri);
        r = cr;
    }
    if (r)
        take_back(c);
    return r;
}

void *mig_precopy_thread(void *arg)
{
    struct vm_migration *m = arg;
    struct precopy *c = calloc(1, sizeof(*c));
    uint64_t npages = m->vm->mem.ram_size >> 12;
    uint64_t *bits = calloc((npages + 63) / 64, sizeof(uint64_t));
    uint64_t *taken = calloc((npages + 63) / 64, sizeof(uint64_t));
    int r = !c || !bits || !taken ? -ENOMEM : 0;
    if (r == 0) {
        *c = (struct precopy){ .m = m, .vm = m->vm, .npages = npages, .bits = bits, .taken = taken,
                               .blk = m->blk };
        c->p.downtime_ms = -1;
        r = run(c);
    }
    if (r == 0) {
        pthread_mutex_lock(&m->lock);
        m->handed_over = c->handed;
        pthread_mutex_unlock(&m->lock);
        mig_set_status(m, VM_MIG_COMPLETED, NULL);
    } else if (atomic_load(&m->cancel)) {
        mig_set_status(m, VM_MIG_CANCELLED, "cancelled");
    } else {
        char e[300];
        snprintf(e, sizeof(e), "%s", c && c->err[0] ? c->err : strerror(-r));
        if (c && !c->err[0] && (r == -EPIPE || r == -ECONNRESET))
            snprintf(e, sizeof(e), "the destination closed the connection");
        else if (c && !c->err[0] && r == -ESHUTDOWN)
            snprintf(e, sizeof(e), "the VM has shut down");
        fprintf(stderr, "vmon: migrate %s: %s\n", m->uri, e);
        mig_set_status(m, VM_MIG_FAILED, e);
    }
    free(bits);
    free(taken);
    free(c);
    return NULL;
}
