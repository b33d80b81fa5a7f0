/* fw_cfg, QEMU's firmware configuration device (docs/specs/fw_cfg.rst), traditional port interface:
 * write a 16-bit key to the selector, then read the item's bytes one at a time from the data port;
 * reads past the end return 0. Multi-byte values are little-endian, except the file directory, which
 * is big-endian. The DMA interface is hw/fw_cfg-dma.c. Writes to items are ignored, as in QEMU since
 * 2.4. Lock: f->lock, from vCPU threads. */
#include "hw/fw_cfg.h"
#include "hw/fw_cfg-int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FW_CFG_ID_TRADITIONAL 0x01
#define FW_CFG_KEY_MASK 0xbfff     /* bit 14: write (ignored); bit 15: architecture-specific keys, a
                                    * table of their own (0x8000 is not 0x0000) */

struct fw_cfg_item *fw_cfg_find(struct fw_cfg *f, uint16_t key)
{
    for (int i = 0; i < f->nitems; i++)
        if (f->items[i].key == key)
            return &f->items[i];
    return NULL;
}

static struct fw_cfg_item *new_item(struct fw_cfg *f, uint16_t key, int *err)
{
    if (fw_cfg_find(f, key)) {
        *err = -EEXIST;
        return NULL;
    }
    if (f->nitems == FW_CFG_MAX_ITEMS) {
        *err = -ENOSPC;
        return NULL;
    }
    struct fw_cfg_item *it = &f->items[f->nitems++];
    memset(it, 0, sizeof(*it));
    it->key = key;
    it->fd = -1;
    return it;
}

int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
    int err;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, len);
    struct fw_cfg_item *it = new_item(f, key, &err);
    if (!it) {
        free(copy);
        return err;
    }
    it->data = copy;
    it->len = len;
    return 0;
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return fw_cfg_add_bytes(f, key, b, 2);
}

int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, 4);
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, 8);
}

int fw_cfg_add_host_file(struct fw_cfg *f, uint16_t key, const char *path, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    int err;
    struct fw_cfg_item *it = new_item(f, key, &err);
    if (!it) {
        close(fd);
        return err;
    }
    it->fd = fd;
    it->len = (uint64_t)st.st_size;
    if (size)
        *size = it->len;
    return 0;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* FILE_DIR: be32 count, then per file { be32 size, be16 select, be16 reserved, char name[56] }. */
static int rebuild_dir(struct fw_cfg *f)
{
    size_t len = 4 + (size_t)f->nfiles * 64;
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return -ENOMEM;
    put_be(dir, (uint64_t)f->nfiles, 4);
    int n = 0;
    for (int i = 0; i < f->nitems; i++) {
        const struct fw_cfg_item *it = &f->items[i];
        if (it->key < FW_CFG_FILE_FIRST)
            continue;
        uint8_t *e = dir + 4 + n * 64;
        put_be(e, it->len, 4);
        put_be(e + 4, it->key, 2);
        n++;
    }
    struct fw_cfg_item *d = fw_cfg_find(f, FW_CFG_FILE_DIR);
    /* Names live only in the directory: copy them from the previous one. */
    if (d) {
        for (int i = 0; i < n - 1 && 4 + (uint64_t)(i + 1) * 64 <= d->len; i++)
            memcpy(dir + 4 + i * 64 + 8, d->data + 4 + i * 64 + 8, FW_CFG_NAME_LEN);
        free(d->data);
        d->data = dir;
        d->len = len;
        return 0;
    }
    int err;
    d = new_item(f, FW_CFG_FILE_DIR, &err);
    if (!d) {
        free(dir);
        return err;
    }
    d->data = dir;
    d->len = len;
    return 0;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len)
{
    if (strlen(name) >= FW_CFG_NAME_LEN)
        return -ENAMETOOLONG;
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
    int r = fw_cfg_add_bytes(f, key, data, len);
    if (r < 0)
        return r;
    f->nfiles++;
    if ((r = rebuild_dir(f)) < 0)
        return r;
    struct fw_cfg_item *d = fw_cfg_find(f, FW_CFG_FILE_DIR);
    memcpy(d->data + 4 + (f->nfiles - 1) * 64 + 8, name, strlen(name));
    return 0;
}

uint8_t fw_cfg_read_byte_locked(struct fw_cfg *f)
{
    struct fw_cfg_item *it = f->cur;
    if (!it || f->offset >= it->len)
        return 0;
    uint64_t off = f->offset++;
    if (it->data)
        return it->data[off];
    if (f->chunk_fd != it->fd || off < f->chunk_off || off >= f->chunk_off + f->chunk_len) {
        ssize_t n = pread(it->fd, f->chunk, CHUNK, (off_t)off);
        f->chunk_fd = it->fd;
        f->chunk_off = off;
        f->chunk_len = n > 0 ? (uint64_t)n : 0;
        if (n <= 0)
            return 0;
    }
    return f->chunk[off - f->chunk_off];
}

void fw_cfg_select_locked(struct fw_cfg *f, uint16_t key)
{
    f->cur = fw_cfg_find(f, key & FW_CFG_KEY_MASK);
    f->offset = 0;
}

static uint64_t fw_cfg_read(void *dev, uint64_t off, unsigned size)
{
    struct fw_cfg *f = dev;
    if (off == 0)
        return 0;              /* the selector is write-only */
    /* A wider read of the data port returns consecutive bytes, first byte lowest (string order). */
    uint64_t v = 0;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < size && i < 8; i++)
        v |= (uint64_t)fw_cfg_read_byte_locked(f) << (8 * i);
    pthread_mutex_unlock(&f->lock);
    return v;
}

static void fw_cfg_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct fw_cfg *f = dev;
    (void)size;
    if (off != 0)
        return;                /* data writes are ignored */
    pthread_mutex_lock(&f->lock);
    fw_cfg_select_locked(f, (uint16_t)val);
    pthread_mutex_unlock(&f->lock);
}

const struct io_ops fw_cfg_io_ops = { .read = fw_cfg_read, .write = fw_cfg_write };

struct fw_cfg *fw_cfg_new(void)
{
    struct fw_cfg *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    f->chunk_fd = -1;
    if (fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
        fw_cfg_add_u32(f, FW_CFG_ID, FW_CFG_ID_TRADITIONAL) < 0 || rebuild_dir(f) < 0) {
        fw_cfg_free(f);
        return NULL;
    }
    return f;
}

void fw_cfg_free(struct fw_cfg *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->nitems; i++) {
        free(f->items[i].data);
        if (f->items[i].fd >= 0)
            close(f->items[i].fd);
    }
    pthread_mutex_destroy(&f->lock);
    free(f);
}
