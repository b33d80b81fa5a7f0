/* What the SSE handler files share: operand access, the availability checks, and the bridge that runs
 * a floating-point operation on the host's own SSE unit under the guest's MXCSR.
 *
 * Floating point is delegated to the host because vmon only runs on x86-64 hosts: the host's addps
 * is, by definition, bit-exact x86 (rounding, NaN propagation, DAZ/FTZ, exception flags), which a C
 * reimplementation (QEMU's softfloat) can only approximate with a lot of code. The integer SIMD
 * operations are plain C. */
#ifndef VMON_ACCEL_SOFT_OP_SSE_UTIL_H
#define VMON_ACCEL_SOFT_OP_SSE_UTIL_H

#include "accel/soft/cpu.h"

/* Mandatory-prefix selector of struct insn (decode.c): none, 66, F3, F2. */
enum { PFX_NP = 0, PFX_66 = 1, PFX_F3 = 2, PFX_F2 = 3 };

/* A handler key: opcode byte and mandatory prefix. */
#define SSE_KEY(op, pfx) (((unsigned)(op) & 0xff) << 2 | (pfx))

#define MXCSR_MASKS 0x1f80u
#define MXCSR_FLAGS 0x003fu
#define MXCSR_RC    0x6000u
/* MXCSR_MASK as fxsave reports it: the bits ldmxcsr and fxrstor accept (SDM vol. 1, 11.6.6). Both
 * vendors have DAZ; AMD's also has bit 17, MM (misaligned SSE mode, AMD APM vol. 1, 4.4.2), which is
 * kept and read back, though the EPYC hosts measured still fault on misaligned operands with it
 * set (tests/isa/FINDINGS.md). */
#define MXCSR_VALID_INTEL 0xffffu
#define MXCSR_VALID_AMD   0x2ffffu
static inline uint32_t mxcsr_valid(const struct cpu *c)
{
    return c->vendor == CPU_VENDOR_AMD ? MXCSR_VALID_AMD : MXCSR_VALID_INTEL;
}

typedef float v4sf __attribute__((vector_size(16)));

/* #UD without OSFXSR or with CR0.EM, #NM with CR0.TS (SDM vol. 3, 13.1 and table 23-? "SSE
 * instruction exceptions"). */
void sse_check(struct cpu *c);

/* The linear address of the memory operand, #GP(0) when align and it is not 16-byte aligned. */
uint64_t sse_ea(struct cpu *c, const struct insn *i, bool align);

/* Source operand: xmm[rm] or `size` bytes of memory (the rest zeroed). */
void sse_src(struct cpu *c, const struct insn *i, union xmm_reg *v, unsigned size, bool align);
/* Destination r/m: the whole register, or `size` bytes of memory. */
void sse_store(struct cpu *c, const struct insn *i, const union xmm_reg *v, unsigned size, bool align);

/* The floating-point bridge: fp_enter loads the guest's rounding, DAZ and FTZ into the host MXCSR
 * with every exception masked and the flags clear; fp_leave restores the host's MXCSR, merges the
 * flags raised into the guest's and raises #XM (#UD without OSXMMEXCPT) for an unmasked one, before
 * the caller writes any result (SDM vol. 1, 11.5.1). */
uint32_t fp_enter(struct cpu *c);
static inline uint32_t host_getcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static inline void host_setcsr(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
}
void fp_leave(struct cpu *c, uint32_t host_mxcsr);

/* op-sse-int.c: the lane-wise integer operations on w-byte registers (16 XMM, 8 MMX). */
bool int_lanes(unsigned op, union xmm_reg *out, const union xmm_reg *d, const union xmm_reg *s, unsigned w);
/* op-sse-mmx.c: the MMX forms (no mandatory prefix) of the 0F, 0F38 and 0F3A maps. */
bool mmx_op(struct cpu *c, const struct insn *i);
/* op-sse-mmx.c: cvtpi2ps/pd, cvt(t)ps2pi, cvt(t)pd2pi, movq2dq, movdq2q (after sse_check: they
 * need OSFXSR). */
bool mmx_cvt(struct cpu *c, const struct insn *i);

/* Handlers by group; each returns false when it does not know the (op, pfx) pair. */
bool sse_fp(struct cpu *c, const struct insn *i, unsigned key);           /* op-sse-fp.c */
bool sse_int(struct cpu *c, const struct insn *i, unsigned key);          /* op-sse-int.c */
bool sse_0f38(struct cpu *c, const struct insn *i);                       /* op-sse4.c */
bool sse_0f3a(struct cpu *c, const struct insn *i);                       /* op-sse4.c */

#endif
