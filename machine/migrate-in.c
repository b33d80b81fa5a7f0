/* The destination of a live migration (machine/migrate.h, -incoming URI): on the main thread before
 * the vCPUs start, wait for the stream, check its header against this VM's shape (the CPU model, RAM
 * size and vCPU count must be the source's, as for --restore), write its pages into RAM as they come
 * and load the vCPU and device sections at its END; then answer with the time of the resume on a
 * two-way channel, and go on to run. Everything in the stream is checked (migration/stream.c) before
 * it is used; a refusal is one line and exit status 2, never a crash. */
#include "machine/migrate-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "machine/snapshot.h"
#include "machine/vm-int.h"

static int check_shape(const struct vm *vm, const struct mig_header *h, char *err, size_t errlen)
{
    if (strcmp(h->cpu_model, vm_snapshot_model(vm)) != 0) {
        snprintf(err, errlen, "the source has CPU model %s, this VM %s (give --cpu %s)", h->cpu_model,
                 vm_snapshot_model(vm), h->cpu_model);
        return -EINVAL;
    }
    if (h->ram_size != vm->mem.ram_size) {
        snprintf(err, errlen, "the source has %llu MiB of RAM, this VM %llu MiB (give --mem %lluM)",
                 (unsigned long long)(h->ram_size >> 20), (unsigned long long)(vm->mem.ram_size >> 20),
                 (unsigned long long)(h->ram_size >> 20));
        return -EINVAL;
    }
    if (h->ncpus != (uint32_t)vm->ncpus) {
        snprintf(err, errlen, "the source has %u vCPUs, this VM %d (give --cpus %u)", h->ncpus, vm->ncpus,
                 h->ncpus);
        return -EINVAL;
    }
    return 0;
}

/* Guest RAM is private anonymous memory: dropping pages makes them read as zeros, with no page
 * fault or copy for the ones never touched (most of a fresh destination's). */
static void zero_ram(void *opaque, uint8_t *p, size_t len)
{
    (void)opaque;
    if (madvise(p, len, MADV_DONTNEED) < 0)
        memset(p, 0, len);
}

/* A DISK record (migrate -b) into the destination's image, before it runs. */
static int disk_write(void *opaque, unsigned disk, uint64_t off, const uint8_t *data, uint32_t len)
{
    struct vm *vm = opaque;
    if (!vm->board || !vm->board->disk_io || disk >= VM_MAX_DRIVES)
        return -EINVAL;
    return vm->board->disk_io(vm, (int)disk, true, off, (void *)(uintptr_t)data, len);
}

static int receive(struct vm *vm, struct mig_channel *ch, struct mig_in *in, char *err, size_t errlen)
{
    struct mig_header h;
    const char *why = "";
    int r = mig_get_header(in->io, &h, &why);
    if (r) {
        snprintf(err, errlen, "%s", why);
        return r == -EPIPE ? -EINVAL : r;
    }
    if ((r = check_shape(vm, &h, err, errlen)))
        return r;
    *in = (struct mig_in){ .io = in->io, .ram = vm->mem.base, .ram_pages = vm->mem.ram_size >> 12,
                           .zero = zero_ram, .disk = disk_write, .disk_opaque = vm };
    if ((r = mig_get_records(in, &why))) {
        snprintf(err, errlen, "%s", why);
        return r == -EPIPE ? -EINVAL : r;
    }
    if ((r = vm_state_load_sections(vm, in->state, in->state_len, err, errlen)))
        return r;
    if (vm->board && vm->board->disks_handover &&
        (r = vm->board->disks_handover(vm, false, err, errlen)) < 0)
        return r;   /* the source closed its images before END */
    if (vm->accel->mem_written)
        vm->accel->mem_written(vm, 0, vm->mem.ram_size);
    if (vm->board && vm->board->state_loaded)
        vm->board->state_loaded(vm);
    (void)ch;
    return 0;
}

/* Tell the source when this VM resumes (its vCPU threads start right after): 8 bytes, little endian. */
static void answer(struct mig_channel *ch, uint64_t now_ns)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(now_ns >> (8 * i));
    mig_channel_write(ch, b, sizeof(b));   /* a source that went away already: nothing to tell */
}

int vm_migrate_incoming(struct vm *vm, const char *uri, char *err, size_t errlen)
{
    struct mig_channel ch;
    uint64_t t0 = vm_mig_now_ns(CLOCK_MONOTONIC);
    int r = mig_channel_open_in(uri, &ch, err, errlen);
    if (r)
        return r;
    struct mig_io io = { .xfer = mig_channel_read, .opaque = &ch };
    struct mig_in in = { .io = &io };
    char why[400] = "";
    r = receive(vm, &ch, &in, why, sizeof(why));
    if (r)
        snprintf(err, errlen, "%.200s: %s", uri, why);
    uint64_t now = vm_mig_now_ns(CLOCK_REALTIME);
    if (r == 0 && ch.duplex)
        answer(&ch, now);
    int cr = mig_channel_close(&ch);
    if (r == 0 && cr) {
        snprintf(err, errlen, "%.200s: the command failed", uri);
        r = -EINVAL;
    }
    struct vm_mig_info info = {
        .status = r ? VM_MIG_FAILED : VM_MIG_COMPLETED, .incoming = true, .passes = in.passes,
        .transferred = io.bytes, .ram_total = vm->mem.ram_size, .pages = in.pages,
        .zero_pages = in.zero_pages, .total_ms = (vm_mig_now_ns(CLOCK_MONOTONIC) - t0) / 1000000,
        .downtime_ms = in.stop_ns && now > in.stop_ns ? (int64_t)((now - in.stop_ns) / 1000000) : -1,
        .downtime_to_resume = true, .downtime_limit_ms = MIG_DEFAULT_DOWNTIME_MS,
    };
    if (r)
        snprintf(info.error, sizeof(info.error), "%s", err);
    vm_migration_set_info(vm, &info);
    free(in.state);
    return r == -EINVAL || r == -ENOENT ? -EINVAL : r;
}
