/* SSE..SSE4.2 and MMX: the opcode forms of the 0F, 0F38 and 0F3A maps that the decoder routes here.
 * The decoder has done prefixes, ModRM and immediates: i->op is the opcode (0x1xx 0F, 0x2xx 0F38,
 * 0x3xx 0F3A), i->pfx the mandatory prefix (0 none, 1 66, 2 F3, 3 F2), i->imm the imm8 where the
 * form has one (0F 70-73, C2, C4-C6 and all of 0F3A). */
#ifndef VMON_ACCEL_SOFT_OP_SSE_H
#define VMON_ACCEL_SOFT_OP_SSE_H

#include "accel/soft/cpu.h"

/* 0F 10-17, 28-2F, 50-7F (77 emms included), C2-C6, D0-FF. */
OP(op_sse);
/* 0F 38 xx (including crc32 F2 0F 38 F0/F1 and movbe). */
OP(op_sse_0f38);
/* 0F 3A xx ib. */
OP(op_sse_0f3a);
/* 0F AE /0 fxsave, /1 fxrstor, /2 ldmxcsr, /3 stmxcsr (memory forms; op_grp15 routes them). */
OP(op_sse_grp15);

/* XMM register access helpers for handlers. */
static inline union xmm_reg *xmm_reg(struct cpu *c, unsigned r) { return &c->xmm[r & 15]; }

#endif
