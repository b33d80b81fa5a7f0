/* struct gdb_ops over a struct vm (machine.c). */
#ifndef VMON_GDBSTUB_MACHINE_H
#define VMON_GDBSTUB_MACHINE_H

#include "gdbstub/cmd.h"
#include "machine/vm.h"

struct gdb_machine {
    struct vm *vm;
    const char *version;           /* for the human monitor */
    bool said_no_debug;
};

void gdb_machine_ops(struct gdb_machine *m, struct gdb_ops *ops);

#endif
