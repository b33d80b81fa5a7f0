/* vmon img: helpers shared by the subcommand files in tools/img/. */
#ifndef VMON_TOOLS_IMG_IMG_H
#define VMON_TOOLS_IMG_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

/* "vmon img: <msg>" on stderr, as qemu-img's "qemu-img: <msg>". */
void img_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int img_parse_size(const char *s, uint64_t *out);
void img_opts_append(char **opts, const char *arg);
bool img_one_file(int argc);
/* Parses "-o k=v,k=v" into o; backing_file/backing_fmt/size may be set too. 0 or 1 (error printed). */
int img_parse_create_opts(const char *fmt, const char *opts, struct blk_create_opts *o);
void img_size_str(uint64_t v, char *buf, size_t len);
struct blk *img_open(const char *file, const char *fmt, int flags);   /* prints the error */
void img_progress(bool on, double pct);
/* Status through the whole backing chain: BLK_STATUS_ZERO when [off, off+*pnum) reads as zeros. */
int img_chain_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, int *depth);

struct qcow2;
void img_json_str(const char *s);
void img_snapshot_list(struct qcow2 *s);   /* qemu-img's snapshot table layout */
int img_info(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_map(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_amend(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_bench(int argc, char **argv);

#endif
