/* savevm / loadvm / delvm into the disks' internal snapshots (machine/savevm.h; QEMU
 * migration/savevm.c save_snapshot and load_snapshot, block/snapshot.c bdrv_all_*). The VM state is
 * written with machine/snapshot.h's vm_save_state_io into the first disk's VM state area
 * (block.h vmstate_write: qcow2 keeps it past the end of the virtual disk), so a state file and a
 * snapshot hold the same bytes and one loader (and its fuzz target) reads both. The vCPUs are
 * parked and the disks quiesced from before the state is read until every disk has its snapshot. */
#include "machine/savevm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"
#include "machine/savevm-int.h"
#include "machine/snapshot.h"
#include "machine/vm-int.h"

/* Disk bs (drive dr, QEMU's default name dflt) into d[*n]; -ENOTSUP when it cannot hold snapshots. */
static int add_disk(struct savevm_disk *d, int *n, struct blk *bs, const struct vm_drive *dr, const char *dflt,
                    char *err, size_t errlen)
{
    d[*n].bs = bs;
    snprintf(d[*n].name, sizeof(d[*n].name), "%s", dr->id[0] ? dr->id : dflt);
    if (!bs->drv->snapshot_save || !bs->drv->snapshot_list) {
        snprintf(err, errlen, "Device '%s' is writable but does not support snapshots", d[*n].name);
        return -ENOTSUP;
    }
    (*n)++;
    return 0;
}

int savevm_disks(struct vm *vm, struct savevm_disk *d, char *err, size_t errlen)
{
    int n = 0;
    char dflt[32];                 /* "virtio%d", "ide%d-hd%d" with any int: room for gcc's check */
    for (int i = 0; i < vm->cfg.ndrives && i < VM_MAX_DRIVES; i++) {
        const struct vm_drive *dr = &vm->cfg.drives[i];
        struct blk *bs = vm->board && vm->board->drive_image ? vm->board->drive_image(vm, i) : NULL;
        snprintf(dflt, sizeof(dflt), "virtio%d", i);
        if (bs && !dr->readonly && add_disk(d, &n, bs, dr, dflt, err, errlen) < 0)
            return -ENOTSUP;
    }
    for (int i = 0; i < VM_MAX_IDE; i++) {          /* QEMU's ide0-hd0 ... ide1-hd1 */
        const struct vm_drive *dr = &vm->cfg.ide[i];
        struct blk *bs = vm->board && vm->board->ide_image ? vm->board->ide_image(vm, i) : NULL;
        snprintf(dflt, sizeof(dflt), "ide%d-hd%d", i / 2, i % 2);
        if (bs && dr->attached && !dr->readonly && !dr->cdrom && add_disk(d, &n, bs, dr, dflt, err, errlen) < 0)
            return -ENOTSUP;
    }
    if (!n || !d[0].bs->drv->vmstate_write) {
        snprintf(err, errlen, "No block device can accept snapshots");
        return -ENOTSUP;
    }
    return n;
}

int savevm_find(struct blk *bs, const char *tag, struct blk_snapshot *out, char *id, size_t idlen)
{
    struct blk_snapshot *l = NULL;
    int n = bs->drv->snapshot_list(bs, &l);
    int r = n < 0 ? n : -ENOENT;
    for (int i = 0; i < n && r == -ENOENT; i++) {
        if (strcmp(l[i].name, tag) != 0)
            continue;
        *out = l[i];
        snprintf(id, idlen, "%s", l[i].id);
        out->id = out->name = NULL;      /* borrowed from the image: the caller keeps the id's copy */
        r = 0;
    }
    free(l);
    return r;
}

static int io_pwrite(void *opaque, const void *buf, size_t len, uint64_t off)
{
    struct blk *bs = opaque;
    return bs->drv->vmstate_write(bs, off, buf, len);
}

static int io_pread(void *opaque, void *buf, size_t len, uint64_t off)
{
    struct blk *bs = opaque;
    return bs->drv->vmstate_read(bs, off, buf, len);
}

/* Park the vCPUs and quiesce the disks; returns whether the VM ran (to resume it after). */
static bool stop_all(struct vm *vm)
{
    bool ran = vm_pause_quiet(vm) == 0;
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, true);
    return ran;
}

static void go_on(struct vm *vm, bool ran)
{
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, false);
    if (ran)
        vm_resume_quiet(vm);
}

/* Every disk gets tag (the first with the state); one failing drops the ones made before it. */
static int snapshot_disks(struct savevm_disk *d, int n, const char *tag, uint64_t state_len, char *err,
                          size_t errlen)
{
    char berr[BLK_ERR_LEN];
    for (int i = 0; i < n; i++) {
        struct blk_snapshot old;
        char id[32];
        while (savevm_find(d[i].bs, tag, &old, id, sizeof(id)) == 0 &&       /* QEMU replaces it */
               d[i].bs->drv->snapshot_delete(d[i].bs, id, berr) == 0)
            ;
        int r = blk_flush(d[i].bs);
        if (r == 0)
            r = d[i].bs->drv->snapshot_save(d[i].bs, tag, i == 0 ? state_len : 0, 0, berr);
        else
            snprintf(berr, sizeof(berr), "%s", strerror(-r));
        if (r < 0) {
            snprintf(err, errlen, "Error while creating snapshot on '%s': %s", d[i].name, berr);
            while (i-- > 0)
                d[i].bs->drv->snapshot_delete(d[i].bs, tag, berr);
            return r;
        }
    }
    return 0;
}

int vm_savevm(struct vm *vm, const char *tag, char *err, size_t errlen)
{
    struct savevm_disk d[SAVEVM_MAX_DISKS];
    int n = savevm_disks(vm, d, err, errlen);
    if (n < 0)
        return n;
    char def[32];
    if (!tag || !*tag) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(def, sizeof(def), "vm-%Y%m%d%H%M%S", &tm);
        tag = def;
    }
    if (vm_run_state(vm) == VM_STATE_SHUTDOWN) {
        snprintf(err, errlen, "the VM has shut down");
        return -ESHUTDOWN;
    }
    bool ran = stop_all(vm);
    struct vm_state_io io = { .pwrite = io_pwrite, .opaque = d[0].bs };
    uint64_t len = 0;
    int r = vm_save_state_io(vm, &io, &len, err, errlen);
    if (r == 0)
        r = snapshot_disks(d, n, tag, len, err, errlen);
    go_on(vm, ran);
    return r;
}

/* Every disk has tag and the first has VM state: 0, else -EINVAL with QEMU's message. */
static int check_tag(struct savevm_disk *d, int n, const char *tag, uint64_t *state_len, char *err,
                     size_t errlen)
{
    for (int i = 0; i < n; i++) {
        struct blk_snapshot sn;
        if (savevm_find(d[i].bs, tag, &sn, d[i].id, sizeof(d[i].id)) < 0) {
            snprintf(err, errlen, "Snapshot '%s' does not exist in one or more devices", tag);
            return -EINVAL;
        }
        if (i == 0 && !sn.vm_state_size) {
            snprintf(err, errlen, "Snapshot '%s' has no VM state (a disk-only snapshot: revert to it offline "
                     "with vmon img snapshot -a)", tag);
            return -EINVAL;
        }
        if (i == 0)
            *state_len = sn.vm_state_size;
    }
    return 0;
}

static int apply_disks(struct savevm_disk *d, int n, char *err, size_t errlen)
{
    char berr[BLK_ERR_LEN];
    for (int i = 0; i < n; i++) {
        int r = blk_flush(d[i].bs);
        if (r == 0)
            r = d[i].bs->drv->snapshot_apply(d[i].bs, d[i].id, berr);
        else
            snprintf(berr, sizeof(berr), "%s", strerror(-r));
        if (r < 0) {
            snprintf(err, errlen, "Device '%s': %s", d[i].name, berr);
            return r;
        }
    }
    return 0;
}

static int loadvm(struct vm *vm, const char *tag, bool running, char *err, size_t errlen)
{
    struct savevm_disk d[SAVEVM_MAX_DISKS];
    int n = savevm_disks(vm, d, err, errlen);
    uint64_t len = 0;
    int r = n < 0 ? n : check_tag(d, n, tag, &len, err, errlen);
    if (r < 0)
        return r == -ENOTSUP ? -EINVAL : r;
    bool ran = running && stop_all(vm);
    r = apply_disks(d, n, err, errlen);
    struct vm_state_io io = { .pread = io_pread, .size = len, .opaque = d[0].bs };
    if (r == 0)
        r = vm_load_state_io(vm, &io, running, err, errlen);
    if (r < 0 && running) {
        size_t k = strlen(err);
        if (!strstr(err, "left paused"))
            snprintf(err + k, errlen - k, " (the disks were reverted: the VM is left paused)");
        if (vm->board && vm->board->quiesce)
            vm->board->quiesce(vm, false);
        return r;
    }
    if (running)
        go_on(vm, ran);
    return r;
}

int vm_loadvm(struct vm *vm, const char *tag, char *err, size_t errlen)
{
    if (vm_run_state(vm) == VM_STATE_SHUTDOWN) {
        snprintf(err, errlen, "the VM has shut down");
        return -ESHUTDOWN;
    }
    return loadvm(vm, tag, true, err, errlen);
}

int vm_loadvm_start(struct vm *vm, const char *tag, char *err, size_t errlen)
{
    return loadvm(vm, tag, false, err, errlen);
}
