/* The x86 decoder: bytes -> struct insn, and the opcode table that says how each opcode decodes. */
#ifndef VMON_ACCEL_SOFT_DECODE_H
#define VMON_ACCEL_SOFT_DECODE_H

#include "accel/soft/cpu.h"

/* How an opcode decodes (the columns of SDM vol. 2, appendix A's opcode maps). */
enum {
    D_M     = 0x0001,      /* has a ModRM byte */
    D_IB    = 0x0002,      /* imm8, zero-extended */
    D_IBS   = 0x0004,      /* imm8, sign-extended */
    D_IW    = 0x0008,      /* imm16 */
    D_IZ    = 0x0010,      /* imm16/32 by operand size, sign-extended to 64 */
    D_IV    = 0x0020,      /* imm16/32/64 by operand size (mov r, imm) */
    D_MOFFS = 0x0040,      /* address-size offset (mov al, [moffs]) */
    D_FAR   = 0x0080,      /* imm16/32 offset + imm16 selector */
    D_ENTER = 0x0100,      /* imm16 + imm8 */
    D_D64   = 0x0200,      /* 64-bit operand size by default in 64-bit mode */
    D_F64   = 0x0400,      /* 64-bit operand size forced in 64-bit mode (near branches) */
    D_INV64 = 0x0800,      /* #UD in 64-bit mode */
    D_END   = 0x1000,      /* ends a translation block (branches, mode changes, I/O, hlt) */
    D_GRP3  = 0x2000,      /* F6/F7: imm only for /0 and /1 */
    D_BYTE  = 0x4000,      /* operand size is 1 (informational, handlers know) */
    D_MREG  = 0x8000,      /* mov cr/dr: ModRM is always a register form */
};

struct opcode {
    op_fn fn;
    uint16_t flags;        /* D_* */
};

/* Indexed by struct insn's op: 0x000-0x0ff one-byte map, 0x100 0F, 0x200 0F38, 0x300 0F3A. */
extern const struct opcode opcode_table[0x400];

/* Decode one instruction from avail bytes at b in a code segment of code_size (2, 4, 8) bytes.
 * Returns its length; 0 when more bytes are needed than avail; -EXC_UD for an invalid encoding;
 * -EXC_GP when it would be longer than 15 bytes. */
int decode_insn(struct insn *i, const uint8_t *b, unsigned avail, unsigned code_size);

/* Replace i->fn with a specialized handler where one fits the decoded form (fast-move.c). */
void decode_specialize(struct insn *i, unsigned code_size);

#endif
