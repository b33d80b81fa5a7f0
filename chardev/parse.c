/* -chardev's option list (QEMU's qemu-options.hx, "-chardev"): the backend name first, then
 * id=, path=, server=, wait= (QEMU's bare `server` and `nowait` too). */
#include "chardev/chardev.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int set_bool(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
    if (!val || !strcmp(val, "on") || !strcmp(val, "yes") || !strcmp(val, "true"))
        *out = true;
    else if (!strcmp(val, "off") || !strcmp(val, "no") || !strcmp(val, "false"))
        *out = false;
    else
        return snprintf(err, errlen, "-chardev: %s=%s: expected on or off", key, val), -EINVAL;
    return 0;
}

static int copy(char *dst, size_t n, const char *key, const char *val, char *err, size_t errlen)
{
    if (!val || !*val || strlen(val) >= n)
        return snprintf(err, errlen, "-chardev: %s= empty or longer than %zu bytes", key, n - 1),
               -EINVAL;
    strcpy(dst, val);
    return 0;
}

static int one_key(char *item, struct chardev_spec *s, char *err, size_t errlen)
{
    char *val = strchr(item, '=');
    if (val)
        *val++ = 0;
    if (!strcmp(item, "id"))
        return copy(s->id, sizeof(s->id), "id", val, err, errlen);
    if (!strcmp(item, "path") && s->kind != CHARDEV_STDIO)
        return copy(s->path, sizeof(s->path), "path", val, err, errlen);
    if (!strcmp(item, "server") && s->kind == CHARDEV_SOCKET)
        return set_bool("server", val, &s->server, err, errlen);
    if (!strcmp(item, "wait") && s->kind == CHARDEV_SOCKET)
        return set_bool("wait", val, &s->wait, err, errlen);
    if (!strcmp(item, "nowait") && !val && s->kind == CHARDEV_SOCKET)
        return s->wait = false, 0;
    if (!strcmp(item, "signal") || !strcmp(item, "mux") || !strcmp(item, "logfile"))
        return snprintf(err, errlen, "-chardev: %s= is not supported", item), -EINVAL;
    return snprintf(err, errlen, "-chardev: unknown option '%s'", item), -EINVAL;
}

int chardev_parse(const char *spec, struct chardev_spec *s, char *err, size_t errlen)
{
    char buf[512];
    memset(s, 0, sizeof(*s));
    s->wait = true;                    /* QEMU's default for a server */
    if (strlen(spec) >= sizeof(buf))
        return snprintf(err, errlen, "-chardev: option list too long"), -EINVAL;
    strcpy(buf, spec);
    char *save = NULL, *item = strtok_r(buf, ",", &save);
    if (!item)
        return snprintf(err, errlen, "-chardev: no backend"), -EINVAL;
    if (!strcmp(item, "socket"))
        s->kind = CHARDEV_SOCKET;
    else if (!strcmp(item, "stdio"))
        s->kind = CHARDEV_STDIO;
    else if (!strcmp(item, "file"))
        s->kind = CHARDEV_FILE;
    else
        return snprintf(err, errlen, "-chardev %s: unsupported backend (socket, stdio, file)", item),
               -EINVAL;
    while ((item = strtok_r(NULL, ",", &save)))
        if (one_key(item, s, err, errlen) < 0)
            return -EINVAL;
    if (!s->id[0])
        return snprintf(err, errlen, "-chardev %s: no id=", spec), -EINVAL;
    if (s->kind != CHARDEV_STDIO && !s->path[0])
        return snprintf(err, errlen, "-chardev %s: no path= (vmon's sockets are Unix sockets)", spec),
               -EINVAL;
    return 0;
}
