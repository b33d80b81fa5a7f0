/* qcow2's VM state area (savevm / loadvm; QEMU's qcow2_save_vmstate / qcow2_load_vmstate): the VM
 * state of an internal snapshot lives in the image's own virtual address space, from the first L1
 * entry past the end of the disk (qcow2.txt "Snapshots": vm_state_size, the "VM state" that follows
 * the disk's data), written to the active image before the snapshot is taken, so the snapshot's L1
 * copy reaches it; the active image then lets go of it, as QEMU does, so the next guest write or the
 * next savevm does not copy it on write. */
#include <errno.h>
#include <string.h>

#include "block/qcow2.h"

uint64_t qcow2_vmstate_offset(const struct qcow2 *s)
{
    uint64_t per_l1 = (uint64_t)1 << (s->cluster_bits + s->l2_bits);   /* bytes one L2 table maps */
    return (s->size + per_l1 - 1) / per_l1 * per_l1;
}

/* The area may not run past what an L1 table can address (QCOW2_MAX_L1_BYTES). */
static int check_range(const struct qcow2 *s, uint64_t pos, uint64_t len)
{
    uint64_t max = (uint64_t)QCOW2_MAX_L1_BYTES / 8 << (s->cluster_bits + s->l2_bits);
    uint64_t base = qcow2_vmstate_offset(s);
    return pos > max || len > max - pos || base > max - pos - len ? -EFBIG : 0;
}

/* Whole clusters of zeros become zero clusters (metadata only), the rest is written as data. */
int qcow2_vmstate_write(struct blk *bs, uint64_t pos, const void *buf, size_t len)
{
    struct qcow2 *s = bs->opaque;
    int r = check_range(s, pos, len);
    const uint8_t *p = buf;
    uint64_t off = qcow2_vmstate_offset(s) + pos;
    while (r == 0 && len) {
        uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
        size_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        if (in == 0 && n == s->cluster_size && blk_is_zero(p, n))
            r = bs->drv->write_zeroes(bs, off, n);
        else
            r = bs->drv->write(bs, off, p, n);
        p += n;
        off += n;
        len -= n;
    }
    return r;
}

int qcow2_vmstate_read(struct blk *bs, uint64_t pos, void *buf, size_t len)
{
    struct qcow2 *s = bs->opaque;
    int r = check_range(s, pos, len);
    return r < 0 ? r : bs->drv->read(bs, qcow2_vmstate_offset(s) + pos, buf, len);
}

int qcow2_snapshot_save(struct blk *bs, const char *name, uint64_t vm_state_size, uint64_t vm_clock_nsec,
                        char *err)
{
    struct qcow2 *s = bs->opaque;
    int r = qcow2_snapshot_create_vm(bs, name, vm_state_size, vm_clock_nsec, true, err);
    if (r < 0 || !vm_state_size)
        return r;
    /* The snapshot holds the state now; the active image drops its references (never fails the
     * save: a leftover reference only costs a copy on the next write there). */
    uint64_t len = qcow2_align_up(vm_state_size, s->cluster_size);
    if (bs->drv->discard(bs, qcow2_vmstate_offset(s), len) == 0)
        qcow2_flush_metadata(s);
    return 0;
}
