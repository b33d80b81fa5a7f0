/*
 * Protocol backend over a POSIX file: pread/pwrite/fdatasync and QEMU's image locks (block/lock.c),
 * as QEMU's file-posix. Only regular files and block devices are images.
 *
 * Test hook: VMON_TEST_FAULT=<ENOSPC|EIO|errno number>:<n> makes the n-th write of each file opened
 * for writing (counting from 1) and every write after it fail with that errno, as a failing disk
 * would; with ENOSPC only the writes and truncates that grow the file fail, as on a full file
 * system (overwriting allocated blocks still works). Flushes still succeed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "block/lock.h"

struct posix_file {
    struct blk_file base;
    int fd;
    int fault_errno;              /* test hook: 0, or the errno writes fail with ... */
    uint64_t fault_at, writes;    /* ... from the fault_at-th write on */
};

/* Parses VMON_TEST_FAULT (see the header comment) into pf. */
static void fault_init(struct posix_file *pf)
{
    const char *v = getenv("VMON_TEST_FAULT");
    char name[16];
    unsigned long long at;
    if (!v || sscanf(v, "%15[^:]:%llu", name, &at) != 2 || !at)
        return;
    pf->fault_errno = !strcmp(name, "ENOSPC") ? ENOSPC : !strcmp(name, "EIO") ? EIO : atoi(name);
    pf->fault_at = at;
}

static int64_t posix_size(struct blk_file *f);

/* The hook's verdict on a write (or truncate) that ends at end. */
static int fault_hit(struct blk_file *f, uint64_t end)
{
    struct posix_file *pf = (struct posix_file *)f;
    if (!pf->fault_errno || ++pf->writes < pf->fault_at)
        return 0;
    int64_t size = posix_size(f);
    if (pf->fault_errno == ENOSPC && size >= 0 && end <= (uint64_t)size)
        return 0;
    return -pf->fault_errno;
}

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
    int fr = fault_hit(f, off + len);
    if (fr < 0)
        return fr;
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
    if (f->no_flush)
        return 0;
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
    int64_t cur = posix_size(f);
    if (cur >= 0 && size > (uint64_t)cur) {
        int fr = fault_hit(f, size);
        if (fr < 0)
            return fr;
    }
    return ftruncate(posix_fd(f), (off_t)size) < 0 ? -errno : 0;
}

static int posix_discard(struct blk_file *f, uint64_t off, uint64_t len)
{
    if (fallocate(posix_fd(f), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
        return -errno;
    return 0;
}

static int posix_allocate(struct blk_file *f, uint64_t off, uint64_t len)
{
    int r = posix_fallocate(posix_fd(f), (off_t)off, (off_t)len);
    return r ? -r : 0;
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

static int posix_lock(struct blk_file *f, unsigned perm, unsigned shared, const char *filename, char *err)
{
    return blk_lock_fd(posix_fd(f), perm, shared, filename, err, BLK_ERR_LEN);
}

static void posix_close(struct blk_file *f)
{
    close(posix_fd(f));
    free(f);
}

static const struct blk_file_ops posix_ops = {
    .pread = posix_pread, .pwrite = posix_pwrite, .flush = posix_flush, .size = posix_size,
    .truncate = posix_truncate, .discard = posix_discard, .allocate = posix_allocate, .allocated = posix_allocated,
    .data_status = posix_data_status, .lock = posix_lock,
    .close = posix_close,
};

static bool is_image_type(mode_t m)
{
    return S_ISREG(m) || S_ISBLK(m);
}

/*
 * create: O_CREAT without O_TRUNC; the caller truncates once it holds the lock (as QEMU's
 * raw_co_create), so that a file in use is never emptied. -EINVAL: not a regular file or block
 * device (looked at before opening, so that a FIFO cannot block the open).
 */
struct blk_file *blk_file_open_posix(const char *path, bool rw, bool create, int *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && !is_image_type(st.st_mode)) {
        *err = -EINVAL;
        return NULL;
    }
    int flags = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        *err = -errno;
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !is_image_type(st.st_mode)) {
        close(fd);
        *err = -EINVAL;
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
    if (rw)
        fault_init(pf);
    return &pf->base;
}
