/* QEMU's fw_cfg, the port-I/O interface (docs/specs/fw_cfg.rst): how firmware and test kernels ask
 * the VMM about the machine. Selector (16-bit) at 0x510, data (8-bit) at 0x511. */
#ifndef VMON_HW_FW_CFG_H
#define VMON_HW_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "mm/bus.h"

#define FW_CFG_PORT 0x510      /* 2 ports: selector, data */
#define FW_CFG_DMA_PORT 0x514  /* 8 ports: the DMA address, be32 high half then be32 low half */

/* Item keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
enum {
    FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_RAM_SIZE = 0x03, FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05, FW_CFG_MAX_CPUS = 0x0f, FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_INITRD_SIZE = 0x0b, FW_CFG_KERNEL_DATA = 0x11, FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_SIZE = 0x14, FW_CFG_CMDLINE_DATA = 0x15, FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
};
#define FW_CFG_MAX_ITEMS 64
#define FW_CFG_NAME_LEN 56

struct fw_cfg;

struct fw_cfg *fw_cfg_new(void);
void fw_cfg_free(struct fw_cfg *f);
/* Add an item holding a copy of data; 0, -EEXIST or -ENOSPC. */
int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);   /* little-endian */
int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
/* An item whose contents are a host file, read when the guest reads it; 0 or -errno. */
int fw_cfg_add_host_file(struct fw_cfg *f, uint16_t key, const char *path, uint64_t *size);
/* A named file ("etc/e820"): gets the next key from 0x20 and an entry in FILE_DIR. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len);

/* dev is the struct fw_cfg; offset 0 selector, 1 data. */
extern const struct io_ops fw_cfg_io_ops;

struct guest_mem;
/* Offer the DMA interface (FW_CFG_ID bit 1) over mem; 0 or -errno. */
int fw_cfg_enable_dma(struct fw_cfg *f, struct guest_mem *mem);
/* dev is the struct fw_cfg; offset 0-3 the address's high half, 4-7 its low half (the write that
 * starts the transfer); reads return the signature "QEMU CFG". */
extern const struct io_ops fw_cfg_dma_io_ops;

#endif
