/* The human monitor (QEMU's HMP command names): one command line in, its text out. */
#ifndef VMON_MONITOR_HMP_H
#define VMON_MONITOR_HMP_H

#include <stdbool.h>
#include <stdio.h>

#include "machine/vm.h"

/* Run line on vm, writing what a user would see to out. Returns true when the command was quit
 * (the caller ends the VM after flushing out). Runs on the event-loop thread. */
bool hmp_run(struct vm *vm, const char *version, const char *line, FILE *out);

#endif
