/*
 * qcow2 compressed clusters (qcow2.txt "Compressed Clusters Descriptor"): raw deflate with a 4 KiB
 * window (zlib) or zstd frames, per compression_type; packed byte-granular into host clusters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

int qcow2_compress(struct qcow2 *s, const uint8_t *in, uint8_t *out, size_t outlen)
{
    if (s->compression_type == 1) {
        size_t n = ZSTD_compress(out, outlen, in, s->cluster_size, 3);
        return ZSTD_isError(n) ? -1 : (int)n;
    }
    z_stream z = { 0 };
    /* Raw deflate with a 4 KiB window, the stream format QEMU writes and reads. */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    z.next_in = (uint8_t *)in;
    z.avail_in = s->cluster_size;
    z.next_out = out;
    z.avail_out = (uInt)outlen;
    int ret = deflate(&z, Z_FINISH);
    int n = ret == Z_STREAM_END ? (int)(outlen - z.avail_out) : -1;
    deflateEnd(&z);
    return n;
}

int qcow2_decompress(struct qcow2 *s, uint64_t l2e, uint8_t *out)
{
    if (out == s->cbuf && s->cbuf_l2e == l2e && l2e)
        return 0;
    uint64_t len, off = qcow2_compressed_range(s, l2e, &len);
    if (len > 2ull * s->cluster_size)
        len = 2ull * s->cluster_size;
    int r = s->bs->file->ops->pread(s->bs->file, s->zbuf, len, off);
    if (r < 0)
        return r;
    bool ok;
    if (s->compression_type == 1) {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        if (!d)
            return -ENOMEM;
        ZSTD_inBuffer ib = { s->zbuf, len, 0 };
        ZSTD_outBuffer ob = { out, s->cluster_size, 0 };
        size_t z = 1;
        /* The sector padding after the frame is not part of it: stop once the cluster is full. */
        while (ob.pos < ob.size && ib.pos < ib.size && z != 0) {
            z = ZSTD_decompressStream(d, &ob, &ib);
            if (ZSTD_isError(z))
                break;
        }
        ok = !ZSTD_isError(z) && ob.pos == ob.size;
        ZSTD_freeDCtx(d);
    } else {
        z_stream z = { 0 };
        if (inflateInit2(&z, -12) != Z_OK)
            return -ENOMEM;
        z.next_in = s->zbuf;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = s->cluster_size;
        int ret = inflate(&z, Z_FINISH);
        ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) && z.avail_out == 0;
        inflateEnd(&z);
    }
    if (!ok) {
        snprintf(s->bs->errmsg, sizeof(s->bs->errmsg), "compressed cluster at %#llx does not decompress",
                 (unsigned long long)off);
        if (out == s->cbuf)
            s->cbuf_l2e = 0;
        return -EIO;
    }
    if (out == s->cbuf)
        s->cbuf_l2e = l2e;
    return 0;
}

int64_t qcow2_alloc_bytes(struct qcow2 *s, uint64_t n)
{
    uint64_t fbo = s->free_byte_offset;
    uint64_t room = fbo ? s->cluster_size - (fbo & (s->cluster_size - 1)) : 0;
    if (fbo && (fbo & (s->cluster_size - 1)) && room >= n) {
        /* Narrow refcounts may not count one more sharer: then start a fresh cluster. */
        int r = qcow2_update_refcount(s, fbo, 1, 1);
        if (r == -ERANGE)
            goto fresh;
        if (r < 0)
            return r;
        s->free_byte_offset = fbo + n;
        if (!(s->free_byte_offset & (s->cluster_size - 1)))
            s->free_byte_offset = 0;
        return (int64_t)fbo;
    }
fresh:;
    int64_t off = qcow2_alloc_clusters(s, (n + s->cluster_size - 1) >> s->cluster_bits);
    if (off < 0)
        return off;
    s->free_byte_offset = ((uint64_t)off + n) & (s->cluster_size - 1) ? (uint64_t)off + n : 0;
    return off;
}

int qcow2_co_write_compressed(struct qcow2 *s, uint64_t off, const uint8_t *buf, size_t len)
{
    if (off & (s->cluster_size - 1) || (len != s->cluster_size && off + len != s->size))
        return -EINVAL;
    const uint8_t *src = buf;
    if (len != s->cluster_size) {
        memset(s->tmp, 0, s->cluster_size);
        memcpy(s->tmp, buf, len);
        src = s->tmp;
    }
    int clen = qcow2_compress(s, src, s->zbuf, s->cluster_size - 512);
    if (clen < 0)            /* does not shrink: store it plainly */
        return qcow2_co_write(s, off, buf, len);
    uint64_t l2e, bm;
    int r = qcow2_get_l2e(s, off >> s->cluster_bits, &l2e, &bm);
    if (r < 0)
        return r;
    int64_t host = qcow2_alloc_bytes(s, (uint64_t)clen);
    if (host < 0)
        return (int)host;
    s->data_unflushed = true;
    r = s->bs->file->ops->pwrite(s->bs->file, s->zbuf, (size_t)clen, (uint64_t)host);
    if (r < 0)
        return r;
    if ((uint64_t)host + (uint64_t)clen > s->file_size)
        s->file_size = (uint64_t)host + (uint64_t)clen;
    uint64_t nsect = (((uint64_t)host + (uint64_t)clen - 1) >> 9) - ((uint64_t)host >> 9);
    uint64_t ne = QCOW2_OFLAG_COMPRESSED | (nsect << s->csize_shift) | (uint64_t)host;
    r = qcow2_set_l2e(s, off >> s->cluster_bits, ne, 0);
    if (r == 0)
        r = qcow2_free_old(s, l2e);
    return r;
}

