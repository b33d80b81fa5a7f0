/* Drives for the board (machine/pc.c): the image a --drive names, or a temporary qcow2 overlay
 * over it (snapshot=on), and the virtio-blk options of the drive. A writable image whose format
 * was probed as raw gets QEMU's warning; the block layer refuses guest writes that would make its
 * sector 0 probe as another format, whichever device (IDE, virtio-blk) carries them. */
#include "machine/pc-drive.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct blk *open_overlay(const struct vm_drive *dr, char *err)
{
    const char *fmt = dr->format[0] ? dr->format : NULL;
    struct blk *base = blk_open(dr->file, fmt, 0, err);   /* its format and size; and that it opens */
    if (!base)
        return NULL;
    char abs[PATH_MAX];
    if (!realpath(dr->file, abs)) {
        blk_close(base);
        blk_error(err, errno, "%s: %s", dr->file, strerror(errno));
        return NULL;
    }
    struct blk_create_opts o = { .size = base->size, .backing_file = abs,
                                 .backing_fmt = base->drv->name };
    const char *dir = getenv("TMPDIR");
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s/vmon-snapshot-XXXXXX", dir && *dir ? dir : "/var/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        blk_close(base);
        blk_error(err, errno, "temporary snapshot overlay %s: %s", tmp, strerror(errno));
        return NULL;
    }
    close(fd);
    int r = blk_create(tmp, "qcow2", &o, err);
    blk_close(base);
    struct blk *bs = r < 0 ? NULL : blk_open(tmp, "qcow2", dr->readonly ? 0 : BLK_O_RDWR, err);
    unlink(tmp);
    return bs;
}

struct blk *pc_drive_open(const struct vm_drive *dr, char *err)
{
    if (dr->snapshot)
        return open_overlay(dr, err);
    struct blk *bs = blk_open(dr->file, dr->format[0] ? dr->format : NULL,
                              dr->readonly ? 0 : BLK_O_RDWR, err);
    if (bs && bs->probed_raw)        /* QEMU's words: the block layer guards sector 0 from now on */
        fprintf(stderr, "vmon: warning: Image format was not specified for '%s' and probing "
                "guessed raw.\n         Automatically detecting the format is dangerous for raw "
                "images, write operations on block 0 will be restricted.\n         Specify the "
                "'raw' format explicitly to remove the restrictions.\n", dr->file);
    return bs;
}

struct blk *pc_drive_open_incoming(const struct vm_drive *dr, char *err)
{
    if (dr->snapshot)
        return open_overlay(dr, err);   /* a temporary overlay of its own: nothing is shared */
    return blk_open(dr->file, dr->format[0] ? dr->format : NULL, BLK_O_SHARE, err);
}

void pc_drive_blk_opts(const struct vm_drive *dr, const char *id, struct virtio_blk_opts *o)
{
    *o = (struct virtio_blk_opts){
        .id = id, .readonly = dr->readonly, .discard = dr->discard, .packed = dr->packed,
        .num_queues = dr->num_queues ? dr->num_queues : 1, .iothreads = true,
    };
}
