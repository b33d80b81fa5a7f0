/* Protocol backend over a POSIX file: pread/pwrite/fdatasync, as QEMU's file-posix. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"

struct posix_file {
    struct blk_file base;
    int fd;
};

static int posix_fd(struct blk_file *f)
{
    return ((struct posix_file *)f)->fd;
}

static int posix_pread(struct blk_file *f, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(posix_fd(f), p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0) {               /* past EOF reads as zeros, as a sparse hole would */
            memset(p, 0, len);
            return 0;
        }
        p += n; off += n; len -= n;
    }
    return 0;
}

static int posix_pwrite(struct blk_file *f, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(posix_fd(f), p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n; off += n; len -= n;
    }
    return 0;
}

static int posix_flush(struct blk_file *f)
{
    return fdatasync(posix_fd(f)) < 0 ? -errno : 0;
}

static int64_t posix_size(struct blk_file *f)
{
    struct stat st;
    if (fstat(posix_fd(f), &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(posix_fd(f), 0, SEEK_END);
        return end < 0 ? -errno : end;
    }
    return st.st_size;
}

static int posix_truncate(struct blk_file *f, uint64_t size)
{
    return ftruncate(posix_fd(f), (off_t)size) < 0 ? -errno : 0;
}

static int posix_discard(struct blk_file *f, uint64_t off, uint64_t len)
{
    if (fallocate(posix_fd(f), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
        return -errno;
    return 0;
}

static int64_t posix_allocated(struct blk_file *f)
{
    struct stat st;
    if (fstat(posix_fd(f), &st) < 0)
        return -errno;
    return (int64_t)st.st_blocks * 512;
}

/* SEEK_DATA/SEEK_HOLE: sparse raw images and convert skip holes without reading them. */
static int posix_data_status(struct blk_file *f, uint64_t off, uint64_t len, uint64_t *pnum)
{
    off_t d = lseek(posix_fd(f), (off_t)off, SEEK_DATA);
    if (d < 0) {
        if (errno == ENXIO) {           /* only a hole up to EOF */
            *pnum = len;
            return 0;
        }
        *pnum = len;                    /* no hole support: everything is data */
        return 1;
    }
    if ((uint64_t)d > off) {
        *pnum = (uint64_t)d - off < len ? (uint64_t)d - off : len;
        return 0;
    }
    off_t h = lseek(posix_fd(f), (off_t)off, SEEK_HOLE);
    if (h < 0 || (uint64_t)h <= off) {
        *pnum = len;
        return 1;
    }
    *pnum = (uint64_t)h - off < len ? (uint64_t)h - off : len;
    return 1;
}

static void posix_close(struct blk_file *f)
{
    close(posix_fd(f));
    free(f);
}

static const struct blk_file_ops posix_ops = {
    .pread = posix_pread, .pwrite = posix_pwrite, .flush = posix_flush, .size = posix_size,
    .truncate = posix_truncate, .discard = posix_discard, .allocated = posix_allocated,
    .data_status = posix_data_status,
    .close = posix_close,
};

struct blk_file *blk_file_open_posix(const char *path, bool rw, bool create, int *err)
{
    int flags = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        *err = -errno;
        return NULL;
    }
    struct posix_file *pf = calloc(1, sizeof(*pf));
    if (!pf) {
        close(fd);
        *err = -ENOMEM;
        return NULL;
    }
    pf->base.ops = &posix_ops;
    pf->fd = fd;
    return &pf->base;
}
