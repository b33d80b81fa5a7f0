/* Parsing of rng/serial/vsock devices and chardevs (QEMU's qemu-options.hx and its device
 * properties: virtio-rng-pci max-bytes/period, virtconsole/virtserialport chardev/name,
 * vhost-vsock-pci guest-cid; uds= is vmon's, naming Firecracker's Unix-socket host side). */
#include "tools/run-vdev-args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits "k=v,k2=v2" (after the first item when skip_first); calls fn per key. */
static int each_key(const char *v, bool skip_first, int (*fn)(const char *k, const char *val,
                    void *ctx, char *err, size_t errlen), void *ctx, char *err, size_t errlen)
{
    char buf[512];
    if (strlen(v) >= sizeof(buf))
        return snprintf(err, errlen, "option list too long: %.40s...", v), -1;
    strcpy(buf, v);
    char *save = NULL;
    char *item = strtok_r(buf, ",", &save);
    if (skip_first)
        item = strtok_r(NULL, ",", &save);
    for (; item; item = strtok_r(NULL, ",", &save)) {
        char *val = strchr(item, '=');
        if (val)
            *val++ = 0;
        if (fn(item, val ? val : "", ctx, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int number(const char *k, const char *val, uint64_t *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(val, &end, 0);
    if (!*val || *end || errno || val[0] == '-')
        return snprintf(err, errlen, "%s=%s: not a number", k, val), -1;
    *out = n;
    return 0;
}

static int copy(const char *k, const char *val, char *dst, size_t n, char *err, size_t errlen)
{
    if (!*val || strlen(val) >= n)
        return snprintf(err, errlen, "%s=%s: empty or too long", k, val), -1;
    strcpy(dst, val);
    return 0;
}

static int rng_key(const char *k, const char *val, void *ctx, char *err, size_t errlen)
{
    struct vm_vdev_config *c = ctx;
    if (!strcmp(k, "max-bytes"))
        return number(k, val, &c->rng_max_bytes, err, errlen);
    if (!strcmp(k, "period")) {
        if (number(k, val, &c->rng_period_ms, err, errlen) < 0)
            return -1;
        if (!c->rng_period_ms)
            return snprintf(err, errlen, "period=0: must be at least 1 ms"), -1;
        return 0;
    }
    if (!strcmp(k, "id") || !strcmp(k, "rng") || (!strcmp(k, "on") && !*val))
        return 0;                      /* QEMU's default backend is the host's random source */
    return snprintf(err, errlen, "virtio-rng: unknown option '%s'", k), -1;
}

static int port_key(const char *k, const char *val, void *ctx, char *err, size_t errlen)
{
    struct vm_vport *p = ctx;
    if (!strcmp(k, "chardev"))
        return copy(k, val, p->chardev, sizeof(p->chardev), err, errlen);
    if (!strcmp(k, "name"))
        return copy(k, val, p->name, sizeof(p->name), err, errlen);
    if (!strcmp(k, "id") || !strcmp(k, "bus") || !strcmp(k, "nr"))
        return 0;                      /* one virtio-serial bus; ids assigned in order */
    return snprintf(err, errlen, "virtconsole/virtserialport: unknown option '%s'", k), -1;
}

static int vsock_key(const char *k, const char *val, void *ctx, char *err, size_t errlen)
{
    struct vm_vdev_config *c = ctx;
    if (!strcmp(k, "guest-cid") || !strcmp(k, "cid")) {
        if (number(k, val, &c->vsock_cid, err, errlen) < 0)
            return -1;
        if (c->vsock_cid < 3 || c->vsock_cid > 0xffffffffu)
            return snprintf(err, errlen, "%s=%s: a guest CID is 3 to 4294967295", k, val), -1;
        return 0;
    }
    if (!strcmp(k, "uds"))
        return copy(k, val, c->vsock_uds, sizeof(c->vsock_uds), err, errlen);
    if (!strcmp(k, "id"))
        return 0;
    return snprintf(err, errlen, "vsock: unknown option '%s'", k), -1;
}

static int add_port(const char *v, bool skip_first, bool console, struct vm_config *cfg, char *err,
                    size_t errlen)
{
    struct vm_vdev_config *c = &cfg->vdev;
    if (c->nports == VM_MAX_VPORTS)
        return snprintf(err, errlen, "virtio-serial: at most %d ports", VM_MAX_VPORTS), -1;
    struct vm_vport *p = &c->ports[c->nports];
    memset(p, 0, sizeof(*p));
    p->console = console;
    if (each_key(v, skip_first, port_key, p, err, errlen) < 0)
        return -1;
    if (!p->chardev[0])
        return snprintf(err, errlen, "%s: no chardev=", v), -1;
    c->nports++;
    return 0;
}

static int vsock_common(const char *v, bool skip_first, struct vm_config *cfg, char *err,
                        size_t errlen)
{
    struct vm_vdev_config *c = &cfg->vdev;
    if (c->vsock)
        return snprintf(err, errlen, "vsock: only one device"), -1;
    if (each_key(v, skip_first, vsock_key, c, err, errlen) < 0)
        return -1;
    if (!c->vsock_cid)
        return snprintf(err, errlen, "vsock %s: no guest-cid=", v), -1;
    c->vsock = true;
    return 0;
}

int run_vdev_device(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    size_t n = strcspn(v, ",");
    char name[32];
    snprintf(name, sizeof(name), "%.*s", (int)(n < 31 ? n : 31), v);
    int r;
    if (!strcmp(name, "virtio-rng-pci") || !strcmp(name, "virtio-rng")) {
        r = each_key(v, true, rng_key, &cfg->vdev, err, errlen);
        cfg->vdev.rng = true;
    } else if (!strcmp(name, "virtio-serial-pci") || !strcmp(name, "virtio-serial")) {
        r = 0;
        cfg->vdev.serial = true;
    } else if (!strcmp(name, "virtconsole") || !strcmp(name, "virtserialport")) {
        r = add_port(v, true, !strcmp(name, "virtconsole"), cfg, err, errlen);
    } else if (!strcmp(name, "vhost-vsock-pci") || !strcmp(name, "vhost-vsock-device")) {
        r = vsock_common(v, true, cfg, err, errlen);
    } else {
        return 0;
    }
    return r < 0 ? -1 : 1;
}

int run_vdev_chardev(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    struct vm_vdev_config *c = &cfg->vdev;
    if (c->nchardevs == VM_MAX_CHARDEVS)
        return snprintf(err, errlen, "-chardev: at most %d", VM_MAX_CHARDEVS), -1;
    if (chardev_parse(v, &c->chardevs[c->nchardevs], err, errlen) < 0)
        return -1;
    c->nchardevs++;
    return 0;
}

int run_vdev_rng(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    cfg->vdev.rng = true;
    return each_key(v, false, rng_key, &cfg->vdev, err, errlen);
}

int run_vdev_vsock(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    return vsock_common(v, false, cfg, err, errlen);
}

int run_vdev_console(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    cfg->vdev.serial = true;
    return add_port(v, false, true, cfg, err, errlen);
}

int run_vdev_check(const struct vm_config *cfg, char *err, size_t errlen)
{
    const struct vm_vdev_config *c = &cfg->vdev;
    if (c->nports && !c->serial)
        return snprintf(err, errlen, "-device virtconsole/virtserialport: no -device "
                                     "virtio-serial-pci to put it on"), -1;
    for (int i = 0; i < c->nchardevs; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(c->chardevs[i].id, c->chardevs[k].id))
                return snprintf(err, errlen, "-chardev: duplicate id '%s'", c->chardevs[i].id), -1;
    for (int i = 0; i < c->nports; i++) {
        int k = 0;
        while (k < c->nchardevs && strcmp(c->chardevs[k].id, c->ports[i].chardev))
            k++;
        if (k == c->nchardevs)
            return snprintf(err, errlen, "chardev=%s: no -chardev with that id", c->ports[i].chardev),
                   -1;
    }
    return 0;
}
