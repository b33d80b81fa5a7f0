/* Monitor endpoints: -qmp and -monitor sockets (unix:PATH,server[,wait=off], tcp:HOST:PORT,server
 * [,wait=off], QEMU's -chardev socket spellings) served on the VM's event loop. */
#ifndef VMON_MONITOR_SERVER_H
#define VMON_MONITOR_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "machine/vm.h"

enum monitor_kind { MONITOR_QMP, MONITOR_HMP };

struct monitor;

/* Parse spec into its parts; 0 or -EINVAL with err set. Pure (tests call it). */
struct monitor_addr {
    bool is_unix, wait;
    char path[108];            /* unix: the socket path */
    char host[64], port[16];   /* tcp */
};
int monitor_parse_addr(const char *spec, struct monitor_addr *a, char *err, size_t errlen);

/* Listen on spec for vm (after vm_init, before vm_run); with wait (QEMU's default for server), block
 * until the first client connects. A QMP one listens to vm's run-state events. NULL with err set. */
struct monitor *monitor_new(struct vm *vm, enum monitor_kind kind, const char *spec,
                            const char *version, char *err, size_t errlen);
/* Close every socket and remove a unix socket's path. After vm_run, before vm_destroy. */
void monitor_free(struct monitor *m);

#endif
