/* The translator's byte and word moves, by opcode (FORM_NONE): MOV 88/8A (r/m8), 89/8B with a
 * 16-bit operand, C6 /0 and C7 /0 with a 16-bit operand, register or memory (SDM vol. 2, MOV).
 * Loads and stores go through the inline soft TLB (jit-mem.c) as the 32/64-bit forms do.
 *
 * Partial registers (SDM vol. 1, 3.4.1.1): an 8- or 16-bit write changes only those bits of the
 * 64-bit register; without REX, 8-bit registers 4-7 are AH, CH, DH, BH (bits 15:8 of registers
 * 0-3). Where the register's host copy is valid the write goes into the same low bits of the host
 * register (a low byte or word), which is then dirty (jit-regs.c); else it lands in struct cpu
 * (all dirty registers were spilled before this opcode-emitted instruction); a write of AH..BH
 * goes to struct cpu and drops the host copy, to be reloaded when next named. */
#include "accel/soft/jit-int.h"

/* ecx <- 8/16-bit register r in its low bits (the bits above are don't-care). */
static void get_narrow(struct jctx *j, const struct insn *i, unsigned r, unsigned sz)
{
    if (sz == 1 && jit_high8(i, r))
        e_op_mem(&j->e, false, 0x0fb6, RCX, RBX, HNONE, 0, jit_reg8_off(i, r));  /* movzx ecx, byte */
    else
        jit_load_reg(j, RCX, r, 4);
}

/* ecx <- the 8/16-bit immediate of C6/C7 (bits above don't-care). */
static void get_imm(struct jctx *j, const struct insn *i)
{
    e_mov_imm(&j->e, RCX, (uint16_t)i->imm);
}

/* The register forms: 88/89 (rm <- reg), 8A/8B (reg <- rm), C6/C7 (rm <- imm). */
static bool move_rr(struct jctx *j, const struct insn *i, unsigned sz)
{
    unsigned op = i->op | 1;
    if (op == 0xc7)
        get_imm(j, i);
    else
        get_narrow(j, i, op == 0x89 ? i->reg : i->rm, sz);
    jit_store_reg_sz(j, i, RCX, op == 0x8b ? i->reg : i->rm, sz);
    return true;
}

/* The memory forms: a store of reg or imm, or a load into reg, through the TLB. */
static bool move_mem(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    unsigned op = i->op | 1;
    if (!jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, sz, op != 0x8b);
    if (op == 0x8b) {
        e_op_mem(e, false, sz == 1 ? 0x0fb6 : 0x0fb7, RCX, RDX, HNONE, 0, 0);  /* movzx ecx, [rdx] */
        jit_store_reg_sz(j, i, RCX, i->reg, sz);
    } else {
        if (op == 0xc7)
            get_imm(j, i);
        else
            get_narrow(j, i, i->reg, sz);
        if (sz == 2)
            e_byte(e, 0x66);
        e_op_mem(e, false, sz == 1 ? 0x88 : 0x89, RCX, RDX, HNONE, 0, 0);      /* mov [rdx], cl/cx */
    }
    jit_stub_done(j);
    return true;
}

bool jit_move_narrow(struct jctx *j, const struct insn *i)
{
    unsigned op = i->op;
    if (i->lock)
        return false;
    if (op != 0x88 && op != 0x89 && op != 0x8a && op != 0x8b && op != 0xc6 && op != 0xc7)
        return false;
    if ((op == 0xc6 || op == 0xc7) && i->reg != 0)
        return false;                                                  /* xabort, xbegin */
    unsigned sz = (op & 1) ? i->opsize : 1;
    if (sz != 1 && sz != 2)
        return false;
    return i->mod == 3 ? move_rr(j, i, sz) : move_mem(j, i, sz);
}
