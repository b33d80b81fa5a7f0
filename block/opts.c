/*
 * Creation options: "-o key=val,..." as qemu-img's create, convert, measure and amend take them
 * (QEMU util/qemu-option.c, qemu_opts_do_parse; sizes as util/cutils.c qemu_strtosz). The generic keys
 * live here; a format's own keys are its blk_driver's create_opt.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

int blk_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -EINVAL;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -EINVAL;
    uint64_t mul = 1;
    switch (*end) {
    case 'b': case 'B': mul = 1; end++; break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    case 't': case 'T': mul = 1ull << 40; end++; break;
    case 'p': case 'P': mul = 1ull << 50; end++; break;
    case 'e': case 'E': mul = 1ull << 60; end++; break;
    default: break;
    }
    if (*end || v * (double)mul >= 18446744073709551616.0)
        return -EINVAL;
    if (mul == 1 && strchr(s, '.'))
        return -EINVAL;               /* fractions need a suffix, as in qemu_strtosz */
    *out = (uint64_t)(v * (double)mul);
    return 0;
}

bool blk_parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

/* The keys every format takes: 0, or -ENOENT when key=val is not one of them. */
static int generic_opt(struct blk_create_opts *o, const char *key, const char *val)
{
    uint64_t n;
    if (!strcmp(key, "size") && blk_parse_size(val, &n) == 0)
        o->size = n;
    else if (!strcmp(key, "backing_file"))
        o->backing_file = strdup(val);
    else if (!strcmp(key, "backing_fmt"))
        o->backing_fmt = strdup(val);
    else if (!strcmp(key, "preallocation") && !strcmp(val, "off"))
        o->preallocation = BLK_PREALLOC_OFF;
    else if (!strcmp(key, "preallocation") && !strcmp(val, "metadata"))
        o->preallocation = BLK_PREALLOC_METADATA;
    else if (!strcmp(key, "preallocation") && !strcmp(val, "falloc"))
        o->preallocation = BLK_PREALLOC_FALLOC;
    else if (!strcmp(key, "preallocation") && !strcmp(val, "full"))
        o->preallocation = BLK_PREALLOC_FULL;
    else
        return -ENOENT;
    return 0;
}

int blk_parse_create_opts(const struct blk_driver *drv, const char *opts, struct blk_create_opts *o, char *err)
{
    if (!opts)
        return 0;
    char *dup = strdup(opts), *save = NULL;
    if (!dup)
        return blk_error(err, ENOMEM, "out of memory");
    int r = 0;
    for (char *kv = strtok_r(dup, ",", &save); kv && !r; kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (!v) {
            r = blk_error(err, EINVAL, "Invalid parameter '%s'", kv);
            break;
        }
        *v++ = 0;
        r = generic_opt(o, kv, v);
        if (r == -ENOENT && drv->create_opt)
            r = drv->create_opt(o, kv, v, err);
        if (r == -ENOENT)
            r = blk_error(err, EINVAL, "Invalid parameter '%s'", kv);
    }
    free(dup);
    return r;
}

void blk_create_describe(const struct blk_driver *drv, const struct blk_create_opts *o, char *buf, size_t len)
{
    if (drv->create_describe)
        drv->create_describe(o, buf, len);
    else
        snprintf(buf, len, "size=%" PRIu64, o->size);
}
