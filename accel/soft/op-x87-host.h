/* The x87 arithmetic kernels: each runs the host's own x87 instruction on 80-bit guest values under
 * the guest's precision and rounding control, and returns the host FSW right after it (exception
 * flags and condition codes). The guest's stack, tags and exception policy stay in op-x87.c.
 * As with SSE (op-sse-util.h): vmon runs on x86-64 hosts only, so the host's x87 unit is an exact
 * model of the guest's, transcendentals included. */
#ifndef VMON_ACCEL_SOFT_OP_X87_HOST_H
#define VMON_ACCEL_SOFT_OP_X87_HOST_H

#include "accel/soft/cpu.h"

/* Every kernel takes the guest's FCW and FSW: the host runs with the guest's precision and rounding
 * (exceptions masked) and starts from the guest's condition codes, so the codes an instruction
 * leaves alone come back unchanged in the FSW it returns. */

/* Stack faults are reproduced on the host as well: the kernels empty the host registers that are
 * empty in the guest (X_EMPTY0: ST(0), X_EMPTY1: the second operand), or fill the register a push
 * would land in (X_FULL), so that the host's own masked response (QNaN indefinite, SF, C1) is the
 * result. */
enum { X_EMPTY0 = 1, X_EMPTY1 = 2, X_FULL = 4 };

/* Two operands, x = the destination's value, y = the other: the result of x op y. */
enum {
    K_ADD, K_MUL, K_SUB, K_SUBR, K_DIV, K_DIVR,     /* x+y x*y x-y y-x x/y y/x */
    K_COM, K_UCOM,                                  /* compare x with y: C0, C2, C3 */
    K_PREM, K_PREM1, K_SCALE,                       /* x = ST(0), y = ST(1) */
    K_PATAN, K_YL2X, K_YL2XP1,                      /* result replaces ST(1) */
    K_COMI, K_UCOMI,                                /* out gets RFLAGS in its mantissa */
};
/* One operand (ST(0)); the two-result ones leave the new ST(0) in out1 and the new ST(1) in out2. */
enum { K_SQRT, K_RNDINT, K_F2XM1, K_SIN, K_COS, K_TST, K_PTAN, K_SINCOS, K_XTRACT };
/* Memory operand types of the D8-DF escapes. */
enum { M_F32, M_F64, M_I32, M_I16, M_F80, M_I64, M_BCD };
/* Stores: float, integer (rounded by RC), integer truncated (fisttp), packed BCD (fbstp). */
enum { S_F32, S_F64, S_I16, S_I32, S_I64, S_T16, S_T32, S_T64, S_F80, S_BCD };
/* Constants D9 E8-EE. */
enum { C_ONE, C_L2T, C_L2E, C_PI, C_LG2, C_LN2, C_ZERO };

uint16_t x87_host_bin(unsigned fcw, unsigned fsw, unsigned faults, unsigned k, const union x87_reg *x, const union x87_reg *y,
                      union x87_reg *out);
uint16_t x87_host_un(unsigned fcw, unsigned fsw, unsigned faults, unsigned k, const union x87_reg *x, union x87_reg *out1,
                     union x87_reg *out2);
/* ext: the ModRM.reg of D8/DC/DA/DE (fadd .. fdivr); type: M_F32, M_F64, M_I32, M_I16. */
uint16_t x87_host_memop(unsigned fcw, unsigned fsw, unsigned faults, unsigned ext, unsigned type, const union x87_reg *x,
                        const void *mem, union x87_reg *out);
uint16_t x87_host_load(unsigned fcw, unsigned fsw, unsigned faults, unsigned type, const void *mem, union x87_reg *out);
uint16_t x87_host_store(unsigned fcw, unsigned fsw, unsigned faults, unsigned kind, const union x87_reg *x, void *mem);
uint16_t x87_host_const(unsigned fcw, unsigned fsw, unsigned faults, unsigned k, union x87_reg *out);

#endif
