/* The live migration stream's encoding and its checked parser (migration/stream.h). */
#include "migration/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int xfer(struct mig_io *io, void *buf, size_t n)
{
    int r = n ? io->xfer(io->opaque, buf, n) : 0;
    if (r == 0)
        io->bytes += n;
    return r;
}

/* ---- sending ---- */

int mig_put_header(struct mig_io *io, const struct mig_header *h)
{
    uint8_t b[MIG_HEADER_SIZE] = { 0 };
    memcpy(b, MIG_MAGIC, 8);
    vms_le_put(b + 8, h->version, 4);
    vms_le_put(b + 12, MIG_HEADER_SIZE, 4);
    memcpy(b + 16, h->cpu_model, strnlen(h->cpu_model, VMS_MODEL_LEN - 1));
    vms_le_put(b + 48, h->ram_size, 8);
    vms_le_put(b + 56, h->ncpus, 4);
    return xfer(io, b, sizeof(b));
}

static int put_rec(struct mig_io *io, uint32_t type, uint32_t count, uint64_t arg)
{
    uint8_t b[16];
    vms_le_put(b, type, 4);
    vms_le_put(b + 4, count, 4);
    vms_le_put(b + 8, arg, 8);
    return xfer(io, b, sizeof(b));
}

int mig_put_pass(struct mig_io *io, uint32_t pass)
{
    return put_rec(io, MIG_REC_PASS, pass, 0);
}

int mig_put_pages(struct mig_io *io, uint64_t first, uint32_t count, const uint8_t *data)
{
    if (!count || count > MIG_MAX_RUN)
        return -EINVAL;
    int r = put_rec(io, MIG_REC_PAGE, count, first);
    return r ? r : xfer(io, (void *)(uintptr_t)data, (size_t)count * 4096);
}

int mig_put_zero(struct mig_io *io, uint64_t first, uint32_t count)
{
    return put_rec(io, MIG_REC_ZERO, count, first);
}

int mig_put_stop(struct mig_io *io, uint64_t stop_ns)
{
    return put_rec(io, MIG_REC_STOP, 0, stop_ns);
}

int mig_put_disk(struct mig_io *io, unsigned disk, uint64_t off, const uint8_t *data, uint32_t len)
{
    if (!len || len > MIG_MAX_DISK || len % 512 || off % 512 || off >> MIG_DISK_SHIFT || disk > 255)
        return -EINVAL;
    int r = put_rec(io, MIG_REC_DISK, len, (uint64_t)disk << MIG_DISK_SHIFT | off);
    return r ? r : xfer(io, (void *)(uintptr_t)data, len);
}

int mig_put_state(struct mig_io *io, const uint8_t *sections, size_t len)
{
    if (len > MIG_MAX_STATE)
        return -EFBIG;
    int r = put_rec(io, MIG_REC_STAT, (uint32_t)len, (uint32_t)crc32(0, sections, (uInt)len));
    return r ? r : xfer(io, (void *)(uintptr_t)sections, len);
}

int mig_put_end(struct mig_io *io)
{
    return put_rec(io, MIG_REC_END, 0, 0);
}

/* ---- receiving ---- */

int mig_get_header(struct mig_io *io, struct mig_header *h, const char **why)
{
    uint8_t b[MIG_HEADER_SIZE];
    memset(h, 0, sizeof(*h));
    int r = xfer(io, b, sizeof(b));
    if (r < 0) {
        *why = r == -EPIPE ? "truncated (the stream ended inside its header)" : "reading the header";
        return r;
    }
    if (memcmp(b, MIG_MAGIC, 8) != 0) {
        *why = "not a vmon migration stream (bad magic)";
        return -EINVAL;
    }
    h->version = (uint32_t)vms_le_get(b + 8, 4);
    if (h->version != MIG_VERSION) {
        *why = "unsupported migration stream version (this vmon reads version 1)";
        return -EINVAL;
    }
    memcpy(h->cpu_model, b + 16, VMS_MODEL_LEN);
    h->ram_size = vms_le_get(b + 48, 8);
    h->ncpus = (uint32_t)vms_le_get(b + 56, 4);
    if (vms_le_get(b + 12, 4) != MIG_HEADER_SIZE || !memchr(h->cpu_model, 0, VMS_MODEL_LEN) ||
        !h->ram_size || (h->ram_size & 4095) || !h->ncpus) {
        *why = "bad migration stream header";
        return -EINVAL;
    }
    return 0;
}

static int bad(const char **why, const char *what)
{
    *why = what;
    return -EINVAL;
}

static void zero_page(uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;
    for (unsigned i = 0; i < 512; i++) {
        if (w[i]) {
            memset(p, 0, 4096);
            return;
        }
    }
}

static bool pages_ok(const struct mig_in *in, uint64_t first, uint32_t count)
{
    return count && first < in->ram_pages && count <= in->ram_pages - first;
}

static int get_state(struct mig_in *in, uint32_t len, uint64_t crc, const char **why)
{
    if (in->state)
        return bad(why, "device state sent twice");
    if (len > MIG_MAX_STATE || crc > UINT32_MAX)
        return bad(why, "bad device state record");
    in->state = malloc(len ? len : 1);
    if (!in->state)
        return -ENOMEM;
    in->state_len = len;
    int r = xfer(in->io, in->state, len);
    if (r < 0)
        return r;
    if ((uint32_t)crc32(0, in->state, (uInt)len) != crc)
        return bad(why, "corrupted (the device state's checksum does not match)");
    return 0;
}

static int get_disk(struct mig_in *in, uint32_t len, uint64_t arg, const char **why)
{
    uint64_t off = arg & ((1ull << MIG_DISK_SHIFT) - 1);
    if (!in->disk)
        return bad(why, "disk data in the stream, but no disk to put it on");
    if (!len || len > MIG_MAX_DISK || len % 512 || off % 512)
        return bad(why, "bad disk record");
    uint8_t *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    int r = xfer(in->io, buf, len);
    if (r == 0 && (r = in->disk(in->disk_opaque, (unsigned)(arg >> MIG_DISK_SHIFT), off, buf, len)) == -EINVAL)
        *why = "disk data past the end of the destination's disk, or for a disk it does not have";
    else if (r < 0 && r != -EPIPE)
        *why = "writing the destination's disk";
    free(buf);
    if (r == 0)
        in->disk_bytes += len;
    return r;
}

static int get_record(struct mig_in *in, uint32_t type, uint32_t count, uint64_t arg, const char **why)
{
    switch (type) {
    case MIG_REC_PASS:
        in->passes = count;
        return 0;
    case MIG_REC_PAGE:
        if (count > MIG_MAX_RUN || !pages_ok(in, arg, count))
            return bad(why, "pages past the end of guest RAM");
        in->pages += count;
        return xfer(in->io, in->ram + arg * 4096, (size_t)count * 4096);
    case MIG_REC_ZERO:
        if (!pages_ok(in, arg, count))
            return bad(why, "pages past the end of guest RAM");
        if (in->zero)
            in->zero(in->zero_opaque, in->ram + arg * 4096, (size_t)count * 4096);
        else
            for (uint32_t i = 0; i < count; i++)
                zero_page(in->ram + (arg + i) * 4096);
        in->zero_pages += count;
        return 0;
    case MIG_REC_STOP:
        in->stop_ns = arg;
        return 0;
    case MIG_REC_STAT:
        return get_state(in, count, arg, why);
    case MIG_REC_DISK:
        return get_disk(in, count, arg, why);
    default:
        return bad(why, "corrupted (an unknown record type)");
    }
}

int mig_get_records(struct mig_in *in, const char **why)
{
    for (;;) {
        uint8_t b[16];
        *why = NULL;
        int r = xfer(in->io, b, sizeof(b));
        if (r == 0) {
            uint32_t type = (uint32_t)vms_le_get(b, 4), count = (uint32_t)vms_le_get(b + 4, 4);
            uint64_t arg = vms_le_get(b + 8, 8);
            if (type == MIG_REC_END)
                return in->state ? 0 : bad(why, "the stream ended without the device state");
            r = get_record(in, type, count, arg, why);
        }
        if (r == -EPIPE)
            *why = "truncated (the stream ended before its END record)";
        else if (r < 0 && !*why)
            *why = "reading the stream";
        if (r < 0)
            return r;
    }
}
