/* QEMU's key=value option lists ("size=512M,slots=2"), split at commas in place of a copy: shared
 * by tools/run-args.c and tools/run-drive.c. */
#ifndef VMON_TOOLS_RUN_KV_H
#define VMON_TOOLS_RUN_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct kv {
    char key[32];
    const char *val;           /* NULL for a bare word */
    size_t val_len;
};

static inline int next_kv(const char **p, struct kv *kv)
{
    if (!**p)
        return 0;
    const char *end = strchr(*p, ',');
    size_t len = end ? (size_t)(end - *p) : strlen(*p);
    const char *eq = memchr(*p, '=', len);
    size_t klen = eq ? (size_t)(eq - *p) : len;
    if (klen >= sizeof(kv->key))
        klen = sizeof(kv->key) - 1;
    memcpy(kv->key, *p, klen);
    kv->key[klen] = 0;
    kv->val = eq ? eq + 1 : NULL;
    kv->val_len = eq ? len - klen - 1 : 0;
    *p = end ? end + 1 : *p + len;
    return 1;
}

static inline bool kv_is(const struct kv *kv, const char *val)
{
    return kv->val && kv->val_len == strlen(val) && !strncmp(kv->val, val, kv->val_len);
}

#endif
