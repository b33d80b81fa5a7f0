/*
 * Image locking, byte for byte QEMU's (block/file-posix.c: raw_apply_lock_bytes, raw_check_lock_bytes):
 * shared open-file-description locks (F_OFD_SETLK, F_RDLCK) on byte 100+i while using permission i,
 * on byte 200+i while not sharing it; a conflict is another description's lock, seen by F_OFD_GETLK.
 * So vmon and QEMU refuse each other's images for writing, in both directions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "block/lock.h"

static const char *const perm_names[] = { "consistent read", "write", "write unchanged", "resize" };

const char *blk_perm_name(unsigned i)
{
    return i < sizeof(perm_names) / sizeof(perm_names[0]) ? perm_names[i] : "?";
}

static int lock_byte(int fd, int type, off_t off)
{
    struct flock fl = { .l_whence = SEEK_SET, .l_start = off, .l_len = 1, .l_type = (short)type };
    return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* 1: another open file holds a lock on the byte, 0: none, <0: no OFD locks here. */
static int byte_taken(int fd, off_t off)
{
    struct flock fl = { .l_whence = SEEK_SET, .l_start = off, .l_len = 1, .l_type = F_WRLCK };
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
        return -errno;
    return fl.l_type != F_UNLCK;
}

static int apply(int fd, unsigned perm, unsigned shared)
{
    for (unsigned i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]); i++) {
        unsigned bit = 1u << i;
        int r = lock_byte(fd, perm & bit ? F_RDLCK : F_UNLCK, BLK_LOCK_PERM_BASE + i);
        if (r == 0)
            r = lock_byte(fd, shared & bit ? F_UNLCK : F_RDLCK, BLK_LOCK_SHARED_BASE + i);
        if (r < 0)
            return r;
    }
    return 0;
}

static int conflict(const char *filename, char *err, size_t errlen, const char *how, unsigned i)
{
    snprintf(err, errlen, "Failed to get %s\"%s\" lock\nIs another process using the image [%s]?", how,
             blk_perm_name(i), filename);
    return -EAGAIN;
}

static int check(int fd, unsigned perm, unsigned shared, const char *filename, char *err, size_t errlen)
{
    unsigned n = sizeof(perm_names) / sizeof(perm_names[0]);
    for (unsigned i = 0; i < n; i++) {
        if (!(perm & (1u << i)))
            continue;
        int r = byte_taken(fd, BLK_LOCK_SHARED_BASE + i);
        if (r)
            return r < 0 ? r : conflict(filename, err, errlen, "", i);
    }
    for (unsigned i = 0; i < n; i++) {
        if (shared & (1u << i))
            continue;
        int r = byte_taken(fd, BLK_LOCK_PERM_BASE + i);
        if (r)
            return r < 0 ? r : conflict(filename, err, errlen, "shared ", i);
    }
    return 0;
}

int blk_lock_fd(int fd, unsigned perm, unsigned shared, const char *filename, char *err, size_t errlen)
{
    int r = apply(fd, perm, shared);
    if (r == 0)
        r = check(fd, perm, shared, filename, err, errlen);
    if (r == -EINVAL || r == -ENOTSUP || r == -ENOLCK)
        return 0;                      /* as QEMU on a file system without OFD locks: unlocked */
    if (r < 0 && r != -EAGAIN)
        snprintf(err, errlen, "Failed to lock byte %d: %s", BLK_LOCK_PERM_BASE, strerror(-r));
    return r;
}
