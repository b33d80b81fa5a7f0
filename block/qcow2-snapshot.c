/* qcow2 internal snapshots: the snapshot table, create / apply / delete (qcow2.txt "Snapshots"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/qcow2.h"

void qcow2_free_snapshots(struct qcow2 *s)
{
    for (uint32_t i = 0; s->snaps && i < s->nb_snapshots; i++) {
        free(s->snaps[i].id);
        free(s->snaps[i].name);
    }
    free(s->snaps);
    s->snaps = NULL;
}

int qcow2_read_snapshots(struct qcow2 *s, char *err)
{
    struct blk *bs = s->bs;
    s->snapshots_size = 0;
    if (!s->nb_snapshots)
        return 0;
    s->snaps = calloc(s->nb_snapshots, sizeof(*s->snaps));
    if (!s->snaps)
        return -ENOMEM;
    uint64_t off = s->snapshots_offset;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint8_t h[40];
        if (off + sizeof(h) > s->file_size)
            goto bad;
        int r = bs->file->ops->pread(bs->file, h, sizeof(h), off);
        if (r < 0)
            return r;
        struct qcow2_snapshot *sn = &s->snaps[i];
        sn->l1_offset = be64_get(h);
        sn->l1_size = be32_get(h + 8);
        uint16_t idlen = be16_get(h + 12), namelen = be16_get(h + 14);
        sn->date_sec = be32_get(h + 16);
        sn->date_nsec = be32_get(h + 20);
        sn->vm_clock_nsec = be64_get(h + 24);
        sn->vm_state_size = be32_get(h + 32);
        sn->extra_size = be32_get(h + 36);
        sn->disk_size = s->size;
        if (sn->extra_size > 1024 || off + 40 + sn->extra_size + idlen + namelen > s->file_size)
            goto bad;
        uint8_t extra[1024] = { 0 };
        r = bs->file->ops->pread(bs->file, extra, sn->extra_size, off + 40);
        if (r < 0)
            return r;
        if (sn->extra_size >= 8)
            sn->vm_state_size = be64_get(extra);
        if (sn->extra_size >= 16)
            sn->disk_size = be64_get(extra + 8);
        if (sn->extra_size >= 24) {
            sn->has_icount = true;
            sn->icount_hi_lo[0] = be32_get(extra + 16);
            sn->icount_hi_lo[1] = be32_get(extra + 20);
        }
        sn->id = calloc(1, idlen + 1u);
        sn->name = calloc(1, namelen + 1u);
        if (!sn->id || !sn->name)
            return -ENOMEM;
        r = bs->file->ops->pread(bs->file, sn->id, idlen, off + 40 + sn->extra_size);
        if (r == 0)
            r = bs->file->ops->pread(bs->file, sn->name, namelen, off + 40 + sn->extra_size + idlen);
        if (r < 0)
            return r;
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES || sn->l1_offset % s->cluster_size ||
            sn->l1_offset + (uint64_t)sn->l1_size * 8 > s->file_size)
            goto bad;
        off = qcow2_align_up(off + 40 + sn->extra_size + idlen + namelen, 8);
    }
    s->snapshots_size = off - s->snapshots_offset;
    return 0;
bad:
    return blk_error(err, EINVAL, "Could not open '%s': snapshot table is corrupt or past the end of the file",
                     bs->filename);
}
