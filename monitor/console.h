/* The human monitor on the VM's console terminal (Ctrl-A c, QEMU's mon:stdio). */
#ifndef VMON_MONITOR_CONSOLE_H
#define VMON_MONITOR_CONSOLE_H

#include "machine/vm.h"

struct monitor_console;

/* Attach to vm's console (after vm_init); NULL with errno ENOTSUP when the board has no console. */
struct monitor_console *monitor_console_new(struct vm *vm, const char *version);
/* Give it the keyboard now (-monitor stdio): the guest's output waits for Ctrl-A c. */
void monitor_console_focus(struct monitor_console *c);
void monitor_console_free(struct monitor_console *c);

#endif
