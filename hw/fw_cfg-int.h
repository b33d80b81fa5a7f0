/* fw_cfg's state, shared by the port interface (fw_cfg.c) and the DMA interface (fw_cfg-dma.c). */
#ifndef VMON_HW_FW_CFG_INT_H
#define VMON_HW_FW_CFG_INT_H

#include <pthread.h>
#include <stdint.h>

#include "hw/fw_cfg.h"

#define CHUNK 4096                 /* bytes of a host file cached at a time */

struct fw_cfg_item {
    uint16_t key;
    uint8_t *data;             /* owned bytes, or NULL for a host file */
    int fd;                    /* host file, -1 otherwise */
    uint64_t len;
};

struct fw_cfg {
    pthread_mutex_t lock;
    int nitems, nfiles;
    struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
    struct fw_cfg_item *cur;   /* selected item, NULL when the key has none */
    uint64_t offset;           /* next byte of cur */
    uint8_t chunk[CHUNK];      /* cache of a host file's bytes around offset */
    uint64_t chunk_off, chunk_len;
    int chunk_fd;
    struct guest_mem *mem;     /* DMA target, NULL: no DMA interface */
    uint32_t dma_high;         /* the address's high half, written first */
};

/* With f->lock held: the item for key (NULL if none); select key (offset 0); the next byte of
 * the selected item (0 past its end). */
struct fw_cfg_item *fw_cfg_find(struct fw_cfg *f, uint16_t key);
void fw_cfg_select_locked(struct fw_cfg *f, uint16_t key);
uint8_t fw_cfg_read_byte_locked(struct fw_cfg *f);

#endif
