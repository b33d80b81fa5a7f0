/* VHD ("vpc") driver state shared by vpc.c (open, read) and vpc-create.c (create, write). */
#ifndef VMON_BLOCK_VPC_H
#define VMON_BLOCK_VPC_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

#define VPC_FIXED 2
#define VPC_DYNAMIC 3
#define VPC_DIFF 4
#define VPC_UNALLOC 0xffffffffu
#define VPC_MAX_CHS (65535ull * 16 * 255)
#define VPC_MAX_SIZE (2040ull << 30)        /* the spec's 2040 GiB limit */
#define VPC_BLOCK_SIZE (2u << 20)

struct vpc {
    uint8_t footer[512];
    bool dynamic;
    uint64_t bat_off;
    uint32_t entries, block_size, bitmap_size;
    uint32_t *bat;                 /* sector offsets of blocks, host order; VPC_UNALLOC: none */
    uint64_t free_off;             /* where the next block goes (the footer follows it) */
};

int vpc_probe(const uint8_t *buf, size_t len, const char *filename);
uint32_t vpc_checksum(const uint8_t *buf, size_t len, size_t csum_off);
int vpc_create(struct blk_file *f, const struct blk_create_opts *o, char *err);
int vpc_write(struct blk *bs, uint64_t off, const void *buf, size_t len);
int vpc_write_zeroes(struct blk *bs, uint64_t off, uint64_t len);
int vpc_create_opt(struct blk_create_opts *o, const char *key, const char *val, char *err);
void vpc_create_describe(const struct blk_create_opts *o, char *buf, size_t len);
extern const struct blk_opt_help vpc_create_help[];

#endif
