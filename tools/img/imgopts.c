/*
 * vmon img --image-opts: the option string names the format (driver=) and the file under it
 * (file.filename=, file.driver=file; or driver=file,filename= for the bare file, read as raw), as
 * qemu-img's --image-opts (QEMU docs "qemu-img ... --image-opts"; blockdev's BlockdevOptions keys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/imgopts.h"

/* The next "key=value" of *p with ",," unescaped into a malloc'd copy; NULL at the end. */
static char *next_item(const char **p)
{
    if (!**p)
        return NULL;
    size_t n = strlen(*p);
    char *out = malloc(n + 1), *w = out;
    if (!out)
        return NULL;
    const char *s = *p;
    while (*s) {
        if (*s == ',' && s[1] == ',') {
            *w++ = ',';
            s += 2;
        } else if (*s == ',') {
            s++;
            break;
        } else {
            *w++ = *s++;
        }
    }
    *w = 0;
    *p = s;
    return out;
}

static int set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    return *dst ? 0 : -1;
}

static bool on_off(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = false;
    else
        return false;
    return true;
}

static int item(struct img_image_opts *o, char *kv, char *fdrv, char *err, size_t len)
{
    char *v = strchr(kv, '=');
    if (!v) {
        snprintf(err, len, "Cannot find device='%s' nor node-name='%s'", kv, kv);
        return -1;
    }
    *v++ = 0;
    if (!strcmp(kv, "driver"))
        return set_str(&o->driver, v);
    if (!strcmp(kv, "file.filename") || !strcmp(kv, "filename"))
        return set_str(&o->filename, v);
    if (!strcmp(kv, "file.driver")) {
        snprintf(fdrv, 32, "%.31s", v);
        return 0;
    }
    if (!strcmp(kv, "file")) {         /* a reference to another node: vmon has none */
        snprintf(err, len, "Cannot find device='%s' nor node-name='%s'", v, v);
        return -1;
    }
    if ((!strcmp(kv, "read-only") && on_off(v, &o->read_only)) ||
        (!strcmp(kv, "force-share") && on_off(v, &o->force_share)))
        return 0;
    if (!strcmp(kv, "read-only") || !strcmp(kv, "force-share")) {
        snprintf(err, len, "Parameter '%s' expects 'on' or 'off'", kv);
        return -1;
    }
    snprintf(err, len, "Block format '%s' does not support the option '%s'", o->driver ? o->driver : "?", kv);
    return -1;
}

int img_image_opts_parse(const char *arg, struct img_image_opts *o, char *err, size_t len)
{
    *o = (struct img_image_opts){ 0 };
    char fdrv[32] = "";
    const char *p = arg;
    char *kv;
    int r = 0;
    while (r == 0 && (kv = next_item(&p))) {
        r = item(o, kv, fdrv, err, len);
        free(kv);
    }
    if (r == 0 && *fdrv && strcmp(fdrv, "file")) {
        snprintf(err, len, "Unknown protocol driver '%s'", fdrv);
        r = -1;
    }
    if (r == 0 && o->driver && !strcmp(o->driver, "file"))
        r = set_str(&o->driver, "raw");   /* the bare file: its bytes, as the raw format reads them */
    if (r == 0 && !o->filename) {
        snprintf(err, len, "A block device must be specified for \"file\"");
        r = -1;
    }
    if (r < 0) {
        if (!*err)
            snprintf(err, len, "%s", strerror(ENOMEM));
        img_image_opts_free(o);
    }
    return r;
}

void img_image_opts_free(struct img_image_opts *o)
{
    free(o->driver);
    free(o->filename);
    o->driver = o->filename = NULL;
}
