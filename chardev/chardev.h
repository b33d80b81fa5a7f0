/* Character backends for devices' byte streams (QEMU's -chardev): `socket,id=ID,path=PATH,
 * server=on|off,wait=on|off` (a Unix socket; as a server one client at a time), `stdio` (to vmon's
 * stdout; stdin stays with COM1) and `file,id=ID,path=PATH` (output only, truncated at start).
 * A device reaches one through the chr_link it hands out (hw/chr-link.h). */
#ifndef VMON_CHARDEV_CHARDEV_H
#define VMON_CHARDEV_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>

#include "hw/chr-link.h"

struct evloop;

enum chardev_kind { CHARDEV_SOCKET, CHARDEV_STDIO, CHARDEV_FILE };

struct chardev_spec {
    char id[32];
    enum chardev_kind kind;
    char path[108];            /* socket, file */
    bool server, wait;         /* socket */
};

/* Parse a -chardev value into s; 0, or -EINVAL with one line in err. Pure. */
int chardev_parse(const char *spec, struct chardev_spec *s, char *err, size_t errlen);

struct chardev;

/* Open the backend (a server socket is bound, and with wait=on a client waited for; a client
 * socket connects) and watch it on loop. NULL with err set. */
struct chardev *chardev_open(const struct chardev_spec *s, struct evloop *loop, char *err,
                             size_t errlen);
struct chr_link chardev_link(struct chardev *c);
/* Close it (a server's socket path is removed). After the loop stopped. */
void chardev_free(struct chardev *c);

#endif
