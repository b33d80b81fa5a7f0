/* The board's side of a live migration with its disks on shared storage (vm_board_ops'
 * disks_handover, machine/migrate.h): the source, disks quiesced in its last phase, flushes and closes
 * every virtio-blk image (and IDE's: machine/pc-ide.c) (releasing its image locks) before the END record, so the destination may
 * open them; its disks then stay quiesced, with no image. The destination opened each image read-only
 * and shared at start (pc_drive_open_incoming: the source still wrote it) and opens it for real once
 * the stream is in, after the source's last flush, so no metadata it cached is stale. A source whose
 * migration failed opens its images again the same way. With migrate -b the disks' bytes come in the
 * stream instead (migrate-disk.c reaches them through disk_size, disk_track and disk_io). */
#include <errno.h>
#include <stdio.h>

#include "block/block.h"
#include "hw/virtio/blk.h"
#include "machine/pc-drive.h"
#include "machine/pc-ide.h"
#include "machine/pc-int.h"

static int give(struct pc *pc, char *err, size_t errlen)
{
    int r = 0;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (!pc->blks[i])
            continue;
        struct blk *bs = virtio_blk_swap_image(pc->blks[i], NULL);
        if (bs && (bs->flags & BLK_O_RDWR) && blk_flush(bs) < 0 && r == 0) {
            snprintf(err, errlen, "drive %s: flush failed", pc->vm->cfg.drives[i].file);
            r = -EIO;
        }
        blk_close(bs);
    }
    return r;
}

static int take(struct pc *pc, char *err, size_t errlen)
{
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        const struct blk *cur = pc->blks[i] ? pc->blks[i]->bs : NULL;
        if (!pc->blks[i] || (cur && (cur->flags & BLK_O_RDWR)))
            continue;                  /* open for real already (migrate -b's own image) */
        const struct vm_drive *dr = &pc->vm->cfg.drives[i];
        char berr[BLK_ERR_LEN] = "";
        struct blk *bs = pc_drive_open(dr, berr);
        if (!bs) {
            snprintf(err, errlen, "drive %s: %s", dr->file, berr);
            return -EIO;
        }
        blk_close(virtio_blk_swap_image(pc->blks[i], bs));
    }
    return 0;
}

static struct virtio_blk *disk(struct vm *vm, int i)
{
    struct pc *pc = vm->platform;
    return i >= 0 && i < VM_MAX_DRIVES ? pc->blks[i] : NULL;
}

uint64_t pc_disk_size(struct vm *vm, int i)
{
    struct virtio_blk *b = disk(vm, i);
    return b && b->bs ? b->bs->size : 0;
}

void pc_disk_track(struct vm *vm, int i, struct dirty_log *log)
{
    struct virtio_blk *b = disk(vm, i);
    if (b)
        virtio_blk_track(b, log);
}

/* The destination's first disk data for disk i (migrate -b): its image is its own, open it for real. */
static int open_for_copy(struct vm *vm, int i)
{
    struct virtio_blk *b = disk(vm, i);
    const struct vm_drive *dr = &vm->cfg.drives[i];
    if (!b->bs || (b->bs->flags & BLK_O_RDWR) || dr->readonly)
        return 0;
    char berr[BLK_ERR_LEN] = "";
    struct blk *bs = pc_drive_open(dr, berr);
    if (!bs) {
        fprintf(stderr, "vmon: -incoming: drive %s: %s\n", dr->file, berr);
        return -EIO;
    }
    blk_close(virtio_blk_swap_image(b, bs));
    return 0;
}

int pc_disk_io(struct vm *vm, int i, bool write, uint64_t off, void *buf, size_t len)
{
    struct virtio_blk *b = disk(vm, i);
    if (!b)
        return -EINVAL;
    int r = write ? open_for_copy(vm, i) : 0;
    return r ? r : virtio_blk_image_io(b, write, off, buf, len);
}

int pc_disks_handover(struct vm *vm, bool giving, char *err, size_t errlen)
{
    struct pc *pc = vm->platform;
    int r = giving ? give(pc, err, errlen) : take(pc, err, errlen);
    char ierr[300] = "";
    int e = pc_ide_handover(pc->ide, vm, giving, ierr, sizeof(ierr));
    if (r == 0 && e < 0) {
        snprintf(err, errlen, "%s", ierr);
        r = e;
    }
    return r;
}
