/* A small x86-64 machine-code emitter for the translator (jit.c): just the instruction forms it
 * emits, each encoded from the SDM's tables (vol. 2, chapter 2: REX, ModRM, SIB). Memory operands
 * are always [base + index*scale + disp32], which keeps the encoder to one shape. */
#ifndef VMON_ACCEL_SOFT_X86_EMIT_H
#define VMON_ACCEL_SOFT_X86_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum hreg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, HNONE = 0xff };

/* Condition codes as in Jcc/SETcc/CMOVcc (the low nibble of the opcode). */
enum hcc { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP,
           CC_L, CC_GE, CC_LE, CC_G };

struct emit {
    uint8_t *p, *end;
    bool overflow;             /* ran out of room: the caller drops the translation */
};

static inline void e_byte(struct emit *e, unsigned b)
{
    if (e->p >= e->end) {
        e->overflow = true;
        return;
    }
    *e->p++ = (uint8_t)b;
}
static inline void e_u32(struct emit *e, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        e_byte(e, (v >> (8 * k)) & 0xff);
}
static inline void e_u64(struct emit *e, uint64_t v)
{
    e_u32(e, (uint32_t)v);
    e_u32(e, (uint32_t)(v >> 32));
}

/* REX prefix: W (64-bit operand), R (ModRM.reg), X (SIB.index), B (ModRM.rm or SIB.base). */
static inline void e_rex(struct emit *e, bool w, unsigned reg, unsigned index, unsigned base, bool force)
{
    unsigned rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index != HNONE && (index & 8)) ? 2 : 0) |
                   ((base != HNONE && (base & 8)) ? 1 : 0);
    if (rex != 0x40 || force)
        e_byte(e, rex);
}

/* ModRM (and SIB) for [base + index*2^scale + disp32]; base is never HNONE here. */
static inline void e_mem(struct emit *e, unsigned reg, unsigned base, unsigned index, unsigned scale,
                         int32_t disp)
{
    if (index == HNONE && (base & 7) != RSP) {
        e_byte(e, 0x80 | ((reg & 7) << 3) | (base & 7));
    } else {
        e_byte(e, 0x84 | ((reg & 7) << 3));
        e_byte(e, (scale << 6) | ((index == HNONE ? RSP : index) & 7) << 3 | (base & 7));
    }
    e_u32(e, (uint32_t)disp);
}

/* op reg, [base+index*s+disp] (or the reverse direction, by the opcode): one- or two-byte opcode. */
static inline void e_op_mem(struct emit *e, bool w, unsigned op, unsigned reg, unsigned base,
                            unsigned index, unsigned scale, int32_t disp)
{
    e_rex(e, w, reg, index, base, false);
    if (op > 0xff)
        e_byte(e, op >> 8);
    e_byte(e, op & 0xff);
    e_mem(e, reg, base, index, scale, disp);
}

/* op rm, reg with both registers (ModRM mod = 3); reg may be an opcode extension (/digit). */
static inline void e_op_rr(struct emit *e, bool w, unsigned op, unsigned reg, unsigned rm)
{
    e_rex(e, w, reg, HNONE, rm, false);
    if (op > 0xff)
        e_byte(e, op >> 8);
    e_byte(e, op & 0xff);
    e_byte(e, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* The forms used. "load"/"store" move between a host register and [base+disp]. */
static inline void e_load64(struct emit *e, unsigned r, unsigned base, int32_t d) { e_op_mem(e, true, 0x8b, r, base, HNONE, 0, d); }
static inline void e_load32(struct emit *e, unsigned r, unsigned base, int32_t d) { e_op_mem(e, false, 0x8b, r, base, HNONE, 0, d); }
static inline void e_store64(struct emit *e, unsigned r, unsigned base, int32_t d) { e_op_mem(e, true, 0x89, r, base, HNONE, 0, d); }
static inline void e_store32(struct emit *e, unsigned r, unsigned base, int32_t d) { e_op_mem(e, false, 0x89, r, base, HNONE, 0, d); }
static inline void e_lea(struct emit *e, unsigned r, unsigned base, int32_t d) { e_op_mem(e, true, 0x8d, r, base, HNONE, 0, d); }
static inline void e_lea32(struct emit *e, unsigned r, unsigned base, int32_t d) { e_op_mem(e, false, 0x8d, r, base, HNONE, 0, d); }
static inline void e_mov_rr(struct emit *e, bool w, unsigned dst, unsigned src) { e_op_rr(e, w, 0x89, src, dst); }

/* mov qword [base+d], simm32 / mov dword [base+d], imm32 / mov byte [base+d], imm8. */
static inline void e_store_imm64(struct emit *e, unsigned base, int32_t d, int32_t imm)
{
    e_op_mem(e, true, 0xc7, 0, base, HNONE, 0, d);
    e_u32(e, (uint32_t)imm);
}
static inline void e_store_imm32(struct emit *e, unsigned base, int32_t d, uint32_t imm)
{
    e_op_mem(e, false, 0xc7, 0, base, HNONE, 0, d);
    e_u32(e, imm);
}
static inline void e_store_imm8(struct emit *e, unsigned base, int32_t d, uint8_t imm)
{
    e_op_mem(e, false, 0xc6, 0, base, HNONE, 0, d);
    e_byte(e, imm);
}

/* mov r, imm: the shortest of the 32-bit zero-extending form, sign-extended imm32 and imm64. */
static inline void e_mov_imm(struct emit *e, unsigned r, uint64_t v)
{
    if (v <= 0xffffffffull) {
        e_rex(e, false, 0, HNONE, r, false);
        e_byte(e, 0xb8 + (r & 7));
        e_u32(e, (uint32_t)v);
    } else if ((uint64_t)(int64_t)(int32_t)v == v) {
        e_op_rr(e, true, 0xc7, 0, r);
        e_u32(e, (uint32_t)v);
    } else {
        e_rex(e, true, 0, HNONE, r, false);
        e_byte(e, 0xb8 + (r & 7));
        e_u64(e, v);
    }
}

/* Group-1 ALU op with an immediate on a register: /digit 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp. */
static inline void e_alu_ri(struct emit *e, bool w, unsigned digit, unsigned r, int32_t imm)
{
    if (imm >= -128 && imm <= 127) {
        e_op_rr(e, w, 0x83, digit, r);
        e_byte(e, (uint8_t)imm);
    } else {
        e_op_rr(e, w, 0x81, digit, r);
        e_u32(e, (uint32_t)imm);
    }
}
/* The same on [base+d]. */
static inline void e_alu_mi(struct emit *e, bool w, unsigned digit, unsigned base, int32_t d, int32_t imm)
{
    if (imm >= -128 && imm <= 127) {
        e_op_mem(e, w, 0x83, digit, base, HNONE, 0, d);
        e_byte(e, (uint8_t)imm);
    } else {
        e_op_mem(e, w, 0x81, digit, base, HNONE, 0, d);
        e_u32(e, (uint32_t)imm);
    }
}
static inline void e_shift_ri(struct emit *e, bool w, unsigned digit, unsigned r, uint8_t n)
{
    e_op_rr(e, w, 0xc1, digit, r);   /* /4 shl, /5 shr */
    e_byte(e, n);
}
static inline void e_cmov(struct emit *e, unsigned cc, unsigned dst, unsigned src)
{
    e_op_rr(e, true, 0x0f40 + cc, dst, src);
}
static inline void e_push(struct emit *e, unsigned r)
{
    e_rex(e, false, 0, HNONE, r, false);
    e_byte(e, 0x50 + (r & 7));
}
static inline void e_pop(struct emit *e, unsigned r)
{
    e_rex(e, false, 0, HNONE, r, false);
    e_byte(e, 0x58 + (r & 7));
}
static inline void e_call_reg(struct emit *e, unsigned r) { e_op_rr(e, false, 0xff, 2, r); }
static inline void e_ret(struct emit *e) { e_byte(e, 0xc3); }

/* Jumps with a 32-bit displacement; the return value is where the displacement goes, for
 * e_patch once the target is known. */
static inline uint8_t *e_jcc(struct emit *e, unsigned cc)
{
    e_byte(e, 0x0f);
    e_byte(e, 0x80 + cc);
    uint8_t *at = e->p;
    e_u32(e, 0);
    return at;
}
static inline uint8_t *e_jmp(struct emit *e)
{
    e_byte(e, 0xe9);
    uint8_t *at = e->p;
    e_u32(e, 0);
    return at;
}
static inline void e_patch(uint8_t *at, const uint8_t *target)
{
    if (!at)
        return;
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(at, &rel, 4);
}

#endif
