/* The translator's 16-bit ALU ops on memory (the 66-prefixed forms of what jit-alu.c does at 8, 32
 * and 64 bits), by opcode (FORM_NONE): op [mem], r16 (01, 09, 21, 29, 31, 39), cmp r16, [mem] (3B)
 * and op [mem], imm (81 /0 /1 /4 /5 /6 /7, 83 the same); in place on the TLB's host address
 * (jit-mem.c), the lazy record (flags.c) stored exactly as alu_compute stores it: the operands
 * zero-extended from 16 bits and the result of the op on them in 64 bits, not masked
 * (SDM vol. 2, ADD..CMP). adc/sbb and LOCK forms are left to the handler. */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* a (rax) op b (rcx), both zero-extended from 16 bits: the record unless a later instruction of
 * the block rewrites it, then the host's 16-bit op, whose flags are the guest's. */
static void emit_op16(struct jctx *j, unsigned op)
{
    struct emit *e = &j->e;
    unsigned hop = (op == ALU_CMP ? ALU_SUB : op) << 3 | 1;
    if (!jit_lf_dead(j, j->k, true)) {
        e_store64(e, RAX, RBX, LF(src1));
        e_store64(e, RCX, RBX, LF(src2));
        e_mov_rr(e, true, R8, RAX);
        e_op_rr(e, true, hop, RCX, R8);                                /* op r8, rcx (64 bits) */
        e_store64(e, R8, RBX, LF(res));
        e_store_imm32(e, RBX, LF(cin), (alu_lf_kind(op) << 8) | (2u << 16)); /* cin 0, op, size */
    }
    e_byte(e, 0x66);
    e_op_rr(e, false, hop, RCX, RAX);                                  /* op ax, cx */
    jit_flags_now_live(j);
}

/* Host register h <- 16-bit register r, zero-extended. */
static void load_r16(struct jctx *j, unsigned h, unsigned r)
{
    jit_load_reg(j, h, r, 4);
    e_op_rr(&j->e, false, 0x0fb7, h, h);                               /* movzx h32, h16 */
}

bool jit_alu16_op(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned op = i->op;
    if (i->lock || i->mod == 3 || i->opsize != 2 || !jit_addr_ok(j, j->k, i))
        return false;
    bool imm = op == 0x81 || op == 0x83, rev = op == 0x3b;
    if (!imm && !rev && (op >= 0x40 || (op & 7) != 1))
        return false;
    unsigned aop = imm ? (i->modrm >> 3) & 7 : (op >> 3) & 7;
    if (aop == ALU_ADC || aop == ALU_SBB)
        return false;
    jit_emit_mem_operand(j, j->k, i, 2, aop != ALU_CMP);
    e_op_mem(e, false, 0x0fb7, rev ? RCX : RAX, RDX, HNONE, 0, 0);   /* movzx e?x, word [rdx] */
    if (imm)
        e_mov_imm(e, RCX, (uint16_t)i->imm);
    else
        load_r16(j, rev ? RAX : RCX, i->reg);
    emit_op16(j, aop);
    if (aop != ALU_CMP) {
        e_byte(e, 0x66);
        e_op_mem(e, false, 0x89, RAX, RDX, HNONE, 0, 0);                /* mov [rdx], ax */
    }
    jit_stub_done(j);
    return true;
}
