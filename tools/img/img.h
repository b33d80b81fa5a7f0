/* vmon img: helpers shared by the subcommand files in tools/img/. */
#ifndef VMON_TOOLS_IMG_IMG_H
#define VMON_TOOLS_IMG_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

/* "vmon img: <msg>" on stderr, as qemu-img's "qemu-img: <msg>". */
void img_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void img_opts_append(char **opts, const char *arg);
bool img_one_file(int argc);
/* Parses "-o k=v,k=v" into o (blk_parse_create_opts). 0 or 1 (error printed). */
int img_parse_create_opts(const struct blk_driver *drv, const char *opts, struct blk_create_opts *o);
/* "-o help": prints drv's options and returns true. */
bool img_opts_help(const struct blk_driver *drv, const char *opts);
void img_size_str(uint64_t v, char *buf, size_t len);
struct blk *img_open(const char *file, const char *fmt, int flags);   /* prints the error */
/* img_open, or with image_opts (--image-opts) arg is "driver=FMT,file.filename=PATH,...". */
struct blk *img_open_arg(const char *arg, const char *fmt, int flags, bool image_opts);
void img_progress(bool on, double pct);

void img_json_str(const char *s);
/* "Snapshot list:" and the table in qemu-img's layout, when bs has snapshots. */
void img_snapshot_list(struct blk *bs);
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
int img_dd(int argc, char **argv);
int img_bitmap(int argc, char **argv);

#endif
