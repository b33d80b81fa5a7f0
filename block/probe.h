/* Format probing by magic for the formats qemu-img 7.2 knows and vmon does not read (block/probe.c). */
#ifndef VMON_BLOCK_PROBE_H
#define VMON_BLOCK_PROBE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The first bytes of a file (at least 512 when the file has them) and its name: the name of a
 * format qemu-img would detect, with QEMU's probe score in *score (100 for a magic number, 2 for
 * dmg's file-name match), or NULL.
 */
const char *blk_probe_foreign(const uint8_t *buf, size_t len, const char *filename, int *score);

#endif
