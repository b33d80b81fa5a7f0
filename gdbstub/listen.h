/* The gdbstub's listening socket (listen.c). */
#ifndef VMON_GDBSTUB_LISTEN_H
#define VMON_GDBSTUB_LISTEN_H

#include <stddef.h>

/* A listening socket for "tcp:[HOST]:PORT" or "unix:PATH[,opts]"; path gets the unix socket's path
 * (to unlink at the end), else "". Returns the fd, or -errno with err set. */
int gdb_listen(const char *spec, char *path, size_t pathlen, char *err, size_t errlen);

#endif
