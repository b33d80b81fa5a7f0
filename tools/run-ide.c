/* IDE drives and the boot order on vmon run's command line, in QEMU's spellings (qemu-options.hx):
 *   -hda/-hdb/-hdc/-hdd FILE   IDE disks at index 0-3 (primary master, slave, secondary master, slave)
 *   -cdrom FILE                the CD-ROM at index 2
 *   -drive file=..,if=ide[,index=N][,media=cdrom|disk]  (and a -drive without if=: QEMU's default)
 *   a bare image argument      as -hda
 *   -boot [order=]DRIVES[,once=DRIVES][,menu=on|off][,strict=on|off][,splash-time=N][,reboot-timeout=N]
 *                              c: the first disk, d: the first CD-ROM (a, b, n: nothing vmon has) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/run-args.h"
#include "tools/run-kv.h"

static int put(struct vm_config *cfg, const struct vm_drive *d, const char *what, char *err,
               size_t errlen)
{
    int idx = d->index;
    if (idx < 0)
        for (idx = 0; idx < VM_MAX_IDE && cfg->ide[idx].attached; idx++)
            ;
    if (idx >= VM_MAX_IDE)
        return snprintf(err, errlen, "%s: at most %d IDE drives (index 0-3)", what, VM_MAX_IDE), -1;
    if (cfg->ide[idx].attached)
        return snprintf(err, errlen, "%s: IDE index %d is already in use", what, idx), -1;
    cfg->ide[idx] = *d;
    cfg->ide[idx].index = idx;
    cfg->ide[idx].attached = true;
    return 0;
}

int run_ide_hdx(const char *opt, const char *file, struct vm_config *cfg, char *err, size_t errlen)
{
    struct vm_drive d = { .index = -1 };
    if (!file[0] || strlen(file) >= sizeof(d.file))
        return snprintf(err, errlen, "-%s: %s file name", opt, file[0] ? "too long a" : "an empty"), -1;
    snprintf(d.file, sizeof(d.file), "%s", file);
    if (!strcmp(opt, "cdrom")) {
        d.cdrom = true;
        d.index = 2;
    } else if (strlen(opt) == 3 && !strncmp(opt, "hd", 2) && opt[2] >= 'a' && opt[2] <= 'd') {
        d.index = opt[2] - 'a';
    } else {
        d.index = -1;                  /* a bare image: the first free index, as QEMU's -hda */
        for (int i = 0; i < VM_MAX_IDE; i++)
            if (!cfg->ide[i].attached) {
                d.index = i;
                break;
            }
    }
    char what[64];
    snprintf(what, sizeof(what), "-%s %s", opt, file);
    return put(cfg, &d, what, err, errlen);
}

int run_ide_drive(const char *spec, struct vm_drive *d, const char *media, int index,
                  struct vm_config *cfg, char *err, size_t errlen)
{
    if (media && strcmp(media, "cdrom") && strcmp(media, "disk"))
        return snprintf(err, errlen, "-drive %s: media=%s: expected disk or cdrom", spec, media), -1;
    d->cdrom = media && !strcmp(media, "cdrom");
    if (!d->file[0] && !d->cdrom)
        return snprintf(err, errlen, "-drive %s: no file=", spec), -1;
    if (index >= VM_MAX_IDE)
        return snprintf(err, errlen, "-drive %s: index=%d: IDE has indexes 0-3", spec, index), -1;
    d->index = index;
    char what[80];
    snprintf(what, sizeof(what), "-drive %.60s", spec);
    return put(cfg, d, what, err, errlen);
}

/* The drive letters of order= / once=: each at most once, from a-p as QEMU checks them. */
static int letters(const struct kv *kv, struct vm_config *cfg, char *err, size_t errlen)
{
    char order[sizeof(cfg->boot_order)] = "";
    size_t n = 0;
    for (size_t i = 0; kv->val && i < kv->val_len; i++) {
        char c = kv->val[i];
        if (c < 'a' || c > 'p' || strchr(order, c) || n + 1 >= sizeof(order))
            return snprintf(err, errlen, "-boot %s=%.*s: invalid boot device '%c'", kv->key,
                            (int)kv->val_len, kv->val, c), -1;
        order[n++] = c;
        order[n] = 0;
    }
    if (!n)
        return snprintf(err, errlen, "-boot %s=: no boot device", kv->key), -1;
    memcpy(cfg->boot_order, order, sizeof(order));
    return 0;
}

int run_parse_boot(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    const char *p = v;
    struct kv kv;
    while (next_kv(&p, &kv)) {
        if (!kv.val) {                 /* "-boot dc": the order alone */
            struct kv o = { .key = "order", .val = kv.key, .val_len = strlen(kv.key) };
            if (letters(&o, cfg, err, errlen) < 0)
                return -1;
        } else if (!strcmp(kv.key, "order") || !strcmp(kv.key, "once")) {
            if (letters(&kv, cfg, err, errlen) < 0)
                return -1;
        } else if (strcmp(kv.key, "menu") && strcmp(kv.key, "strict") &&
                   strcmp(kv.key, "splash-time") && strcmp(kv.key, "reboot-timeout") &&
                   strcmp(kv.key, "splash")) {
            return snprintf(err, errlen, "-boot %s: unsupported option '%s'", v, kv.key), -1;
        }
    }
    return 0;
}
