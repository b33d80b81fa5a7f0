/* --trace: one record per executed instruction, in the layout of QEMU's `-d exec,cpu -singlestep`
 * so the two logs can be diffed to find where a guest's runs diverge. */
#ifndef VMON_ACCEL_SOFT_TRACE_H
#define VMON_ACCEL_SOFT_TRACE_H

#include "accel/soft/cpu.h"

/* Write the state before i executes to c->trace (a FILE *). */
void trace_insn(struct cpu *c, const struct insn *i);

#endif
