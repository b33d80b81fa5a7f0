/* x87 floating point: D8-DF (with ModRM; i->op is 0xd8-0xdf) and 9B fwait. */
#ifndef VMON_ACCEL_SOFT_OP_X87_H
#define VMON_ACCEL_SOFT_OP_X87_H

#include "accel/soft/cpu.h"

OP(op_x87);
OP(op_fwait);
/* FNINIT state (also the reset state after power-on, SDM vol. 1, 8.1). */
void x87_init(struct fpu *f);

#endif
