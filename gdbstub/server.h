/* vmon's gdbstub: a gdb remote-protocol server on a TCP or unix socket (-gdb tcp::PORT, -s), one
 * debugger at a time, on its own thread; it operates the machine through machine/vm.h only. */
#ifndef VMON_GDBSTUB_SERVER_H
#define VMON_GDBSTUB_SERVER_H

#include <stddef.h>

#include "machine/vm.h"

struct gdbstub;

/* Listen on spec ("tcp:[HOST]:PORT" or "unix:PATH[,server...]") for vm, before vm_run. NULL with
 * err ("<spec>: <why>") on failure. version: what the human monitor says (qRcmd). */
struct gdbstub *gdbstub_new(struct vm *vm, const char *spec, const char *version, char *err, size_t errlen);
void gdbstub_free(struct gdbstub *g);

#endif
