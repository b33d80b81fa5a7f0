/* vmon img --image-opts: "driver=qcow2,file.filename=PATH" option strings, as qemu-img's (QEMU
 * qemu-img.c img_open_opts; ",," stands for a comma in a value). */
#ifndef VMON_TOOLS_IMG_IMGOPTS_H
#define VMON_TOOLS_IMG_IMGOPTS_H

#include <stdbool.h>
#include <stddef.h>

struct img_image_opts {
    char *driver;                 /* NULL: probe */
    char *filename;
    bool read_only, force_share;
};

/* Parses arg into o (strings malloc'd; img_image_opts_free). 0, or -1 with qemu-img's reason in err. */
int img_image_opts_parse(const char *arg, struct img_image_opts *o, char *err, size_t len);
void img_image_opts_free(struct img_image_opts *o);

#endif
