/* x87 state helpers shared with fxsave/fxrstor (op-sse.c). */
#ifndef VMON_ACCEL_SOFT_OP_X87_UTIL_H
#define VMON_ACCEL_SOFT_OP_X87_UTIL_H

#include "accel/soft/cpu.h"

/* FCW as a load leaves it: bits 7 and 13-15 read as 0, bit 6 as 1 (as this host does). */
uint16_t x87_fcw_bits(uint16_t v);
/* FSW with the TOP field merged in (struct fpu keeps TOP apart). */
uint16_t x87_status_word(const struct fpu *f);
/* The 2-bit tag a register's contents earn: 0 valid, 1 zero, 2 special (NaN, infinity, denormal,
 * unsupported); 3 (empty) is never returned (SDM vol. 1, 8.1.7). */
unsigned x87_tag_of(const union x87_reg *r);

#endif
