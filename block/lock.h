/* Image locking as QEMU's file-posix does it (block/file-posix.c, raw_apply/check_lock_bytes). */
#ifndef VMON_BLOCK_LOCK_H
#define VMON_BLOCK_LOCK_H

#include <stddef.h>

/* Permissions, one bit each; bit i is byte LOCK_PERM_BASE + i / LOCK_SHARED_BASE + i of the file. */
#define BLK_PERM_CONSISTENT_READ 0x1u
#define BLK_PERM_WRITE           0x2u
#define BLK_PERM_WRITE_UNCHANGED 0x4u
#define BLK_PERM_RESIZE          0x8u
#define BLK_PERM_ALL             0xfu    /* QEMU 7.2 has these four (graph-mod is gone since 6.1) */

#define BLK_LOCK_PERM_BASE   100
#define BLK_LOCK_SHARED_BASE 200

const char *blk_perm_name(unsigned bit_index);
/*
 * Takes shared OFD locks on fd: byte PERM_BASE+i for each permission used, SHARED_BASE+i for each
 * one not shared; releases the other bytes. Then tests what other open files hold: a permission we
 * want that someone does not share, or one we do not share that someone uses, fails with
 * QEMU's two-line message in err (-EAGAIN). A file system without OFD locks: no locking, 0.
 */
int blk_lock_fd(int fd, unsigned perm, unsigned shared, const char *filename, char *err, size_t errlen);

#endif
