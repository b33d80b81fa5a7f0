/* Disks on vmon run's command line, in both spellings:
 *   --drive / -drive file=PATH,format=raw|qcow2,if=virtio|virtio-mmio|none[,id=ID][,readonly=on]
 *           [,snapshot=on][,discard=unmap|ignore][,num-queues=N][,packed=on][,ioeventfd=off][,irqfd=off]
 *   -device virtio-blk-pci,drive=ID[,num-queues=N][,packed=on|off][,ioeventfd=off][,irqfd=off][,id=NAME]
 *   -device virtio-blk-device,drive=ID[,...]   (QEMU's virtio-mmio disk: as if=virtio-mmio)
 *   -snapshot                       (every drive: writes go to a temporary overlay)
 * QEMU's default interface (a -drive without if=) is IDE, as is if=ide with index= and media=
 * (tools/run-ide.c); options vmon does not implement are refused by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/run-args.h"
#include "tools/run-kv.h"

static int parse_bool(const struct kv *kv, bool *on)
{
    *on = kv_is(kv, "on") || kv_is(kv, "true") || kv_is(kv, "yes");
    return *on || kv_is(kv, "off") || kv_is(kv, "false") || kv_is(kv, "no") ? 0 : -1;
}

static int parse_queues(const struct kv *kv, unsigned *n)
{
    char v[16];
    snprintf(v, sizeof(v), "%.*s", kv->val ? (int)kv->val_len : 0, kv->val ? kv->val : "");
    char *end;
    unsigned long q = strtoul(v, &end, 10);
    if (!v[0] || *end || q < 1 || q > VM_MAX_QUEUES_PER_DISK)
        return -1;
    *n = (unsigned)q;
    return 0;
}

static int bad(const struct kv *kv, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: unsupported option '%s%s%.*s'", what, kv->key, kv->val ? "=" : "",
             kv->val ? (int)kv->val_len : 0, kv->val ? kv->val : "");
    return -1;
}

/* The keys a drive and a device share: num-queues, packed, ioeventfd. 1: not one of them. */
static int shared_key(const struct kv *kv, struct vm_drive *d)
{
    bool on;
    if (!strcmp(kv->key, "num-queues"))
        return parse_queues(kv, &d->num_queues);
    if (!strcmp(kv->key, "packed") && parse_bool(kv, &on) == 0)
        return d->packed = on, 0;
    if (!strcmp(kv->key, "ioeventfd") && parse_bool(kv, &on) == 0)
        return d->no_ioeventfd = !on, 0;   /* QEMU's property: off makes notifies exit (measuring) */
    if (!strcmp(kv->key, "irqfd") && parse_bool(kv, &on) == 0)
        return d->no_irqfd = !on, 0;       /* vmon's: off sends each MSI by ioctl (measuring) */
    return 1;
}

/* The IDE keys of a -drive: media= and index=. */
struct ide_keys {
    char media[8];
    int index;
};

/* One drive key; *iface: 0 none given, 1 virtio, 2 none, 3 ide. */
static int drive_key(const struct kv *kv, struct vm_drive *d, int *iface, struct ide_keys *ik,
                     char *err, size_t errlen)
{
    bool on;
    int r = shared_key(kv, d);
    if (r <= 0)
        return r < 0 ? bad(kv, "-drive", err, errlen) : 0;
    if (!strcmp(kv->key, "file") && kv->val && kv->val_len < sizeof(d->file))
        snprintf(d->file, sizeof(d->file), "%.*s", (int)kv->val_len, kv->val);
    else if (!strcmp(kv->key, "format") && (kv_is(kv, "raw") || kv_is(kv, "qcow2")))
        snprintf(d->format, sizeof(d->format), "%.*s", (int)kv->val_len, kv->val);
    else if (!strcmp(kv->key, "if") && kv_is(kv, "ide"))
        *iface = 3;
    else if (!strcmp(kv->key, "media") && kv->val && kv->val_len < sizeof(ik->media))
        snprintf(ik->media, sizeof(ik->media), "%.*s", (int)kv->val_len, kv->val);
    else if (!strcmp(kv->key, "index") && kv->val && kv->val_len == 1 && kv->val[0] >= '0' &&
             kv->val[0] <= '9')
        ik->index = kv->val[0] - '0';
    else if (!strcmp(kv->key, "if") && (kv_is(kv, "virtio") || kv_is(kv, "virtio-mmio") || kv_is(kv, "none"))) {
        *iface = kv_is(kv, "none") ? 2 : 1;
        d->mmio = kv_is(kv, "virtio-mmio");   /* a virtio-mmio disk the ACPI DSDT lists */
    } else if (!strcmp(kv->key, "if"))
        return snprintf(err, errlen, "-drive if=%.*s: only if=ide, if=virtio, if=virtio-mmio and "
                        "if=none are supported (no SCSI or floppy controller yet)", (int)kv->val_len,
                        kv->val), -1;
    else if (!strcmp(kv->key, "readonly") && parse_bool(kv, &on) == 0)
        d->readonly = on;
    else if (!strcmp(kv->key, "snapshot") && parse_bool(kv, &on) == 0)
        d->snapshot = on;
    else if (!strcmp(kv->key, "discard") && (kv_is(kv, "unmap") || kv_is(kv, "on") ||
                                              kv_is(kv, "ignore") || kv_is(kv, "off")))
        d->discard = kv_is(kv, "unmap") || kv_is(kv, "on");
    else if (!strcmp(kv->key, "id") && kv->val && kv->val_len && kv->val_len < sizeof(d->id))
        snprintf(d->id, sizeof(d->id), "%.*s", (int)kv->val_len, kv->val);
    else
        return bad(kv, "-drive", err, errlen);
    return 0;
}

int run_parse_drive(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    if (cfg->ndrives == VM_MAX_DRIVES)
        return snprintf(err, errlen, "-drive: at most %d drives", VM_MAX_DRIVES), -1;
    struct vm_drive *d = &cfg->drives[cfg->ndrives];
    memset(d, 0, sizeof(*d));
    const char *p = v;
    struct kv kv;
    int iface = 0;
    struct ide_keys ik = { .index = -1 };
    while (next_kv(&p, &kv))
        if (drive_key(&kv, d, &iface, &ik, err, errlen) < 0)
            return -1;
    if (iface == 0 || iface == 3)      /* QEMU's default interface is IDE */
        return run_ide_drive(v, d, ik.media[0] ? ik.media : NULL, ik.index, cfg, err, errlen);
    if (ik.media[0] || ik.index >= 0)
        return snprintf(err, errlen, "-drive %s: media= and index= are for if=ide", v), -1;
    if (!d->file[0])
        return snprintf(err, errlen, "-drive %s: no file=", v), -1;
    if (iface == 2 && !d->id[0])
        return snprintf(err, errlen, "-drive %s: if=none needs an id= for -device "
                        "virtio-blk-pci,drive=ID", v), -1;
    for (int i = 0; i < cfg->ndrives; i++)
        if (d->id[0] && !strcmp(cfg->drives[i].id, d->id))
            return snprintf(err, errlen, "-drive id=%s: a drive with this id already exists", d->id), -1;
    d->attached = iface == 1;
    cfg->ndrives++;
    return 0;
}

int run_device_virtio_blk(const char *opts, bool mmio, struct vm_config *cfg, char *err, size_t errlen)
{
    if (cfg->nblk_devices == VM_MAX_DRIVES)
        return snprintf(err, errlen, "-device virtio-blk-%s: at most %d", mmio ? "device" : "pci",
                        VM_MAX_DRIVES), -1;
    cfg->blk_device_mmio[cfg->nblk_devices] = mmio;
    cfg->blk_devices[cfg->nblk_devices++] = opts;
    return 0;
}

/* One -device virtio-blk-pci (mmio: virtio-blk-device): its drive= takes the device's settings
 * and is attached. */
static int attach(const char *opts, bool mmio, struct vm_config *cfg, char *err, size_t errlen)
{
    const char *what = mmio ? "-device virtio-blk-device" : "-device virtio-blk-pci";
    struct vm_drive dev = { 0 };
    char drive[32] = "";
    const char *p = opts;
    struct kv kv;
    while (next_kv(&p, &kv)) {
        int r = shared_key(&kv, &dev);
        if (r < 0)
            return bad(&kv, what, err, errlen);
        if (r == 0 || (!strcmp(kv.key, "id") && kv.val))
            continue;
        if (!strcmp(kv.key, "drive") && kv.val && kv.val_len < sizeof(drive))
            snprintf(drive, sizeof(drive), "%.*s", (int)kv.val_len, kv.val);
        else
            return bad(&kv, what, err, errlen);
    }
    if (!drive[0])
        return snprintf(err, errlen, "%s: no drive= (a -drive if=none,id=ID)", what), -1;
    for (int i = 0; i < cfg->ndrives; i++) {
        struct vm_drive *d = &cfg->drives[i];
        if (strcmp(d->id, drive))
            continue;
        if (d->attached)
            return snprintf(err, errlen, "%s,drive=%s: the drive is already attached",
                            what, drive), -1;
        d->attached = true;
        d->num_queues = dev.num_queues ? dev.num_queues : d->num_queues;
        d->packed = d->packed || dev.packed;
        d->no_ioeventfd = d->no_ioeventfd || dev.no_ioeventfd;
        d->no_irqfd = d->no_irqfd || dev.no_irqfd;
        d->mmio = mmio;
        return 0;
    }
    return snprintf(err, errlen, "%s,drive=%s: no -drive with id=%s", what, drive, drive), -1;
}

int run_drives_finish(struct vm_config *cfg, char *err, size_t errlen)
{
    for (int i = 0; i < cfg->nblk_devices; i++)
        if (attach(cfg->blk_devices[i], cfg->blk_device_mmio[i], cfg, err, errlen) < 0)
            return -1;
    for (int i = 0; i < cfg->ndrives; i++)
        cfg->drives[i].snapshot |= cfg->snapshot;
    for (int i = 0; i < VM_MAX_IDE; i++)
        cfg->ide[i].snapshot |= cfg->snapshot && !cfg->ide[i].cdrom;
    return 0;
}
