/* The translator's register forms of the byte ALU ops and the one-operand and test forms, by
 * opcode (FORM_NONE): op r8, r8 (00..3A with register operands, adc/sbb included), op r8, imm8
 * (80 /0../7), the same on 16-bit registers (01..3B, 81, 83), op r8, [mem] (02..32), test with an
 * immediate (A8, A9, F6/F7 /0 /1 on a register, F7 /0 on memory), not and neg of a register (F6/F7
 * /2 /3), cbw/cwde/cdqe (98), cwd/cdq/cqo (99), bswap (0F C8+r) and movsxd from memory (63). The
 * host's own instruction at the same width, the lazy record (flags.c) stored as the handlers store
 * it unless a later instruction rewrites it (SDM vol. 2: ADD..CMP, TEST, NOT, NEG, CBW/CWDE/CDQE,
 * CWD/CDQ/CQO, BSWAP, MOVSXD; byte registers: vol. 1, 3.4.1.1). */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* Host register h (rax or rcx) <- guest register r at size sz, zero-extended. */
static void get(struct jctx *j, const struct insn *i, unsigned h, unsigned r, unsigned sz)
{
    if (sz == 1)
        e_op_mem(&j->e, false, 0x0fb6, h, RBX, HNONE, 0, jit_reg8_off(i, r));  /* movzx h, byte */
    else if (sz == 2)
        e_op_mem(&j->e, false, 0x0fb7, h, RBX, HNONE, 0, GPR(r));             /* movzx h, word */
    else
        jit_load_reg(j, h, r, sz);
}

/* The byte (op8) or wider (op8 | 1) form of a host instruction on two registers at size sz. */
static void op_sz(struct emit *e, unsigned op8, unsigned reg, unsigned rm, unsigned sz)
{
    if (sz == 2)
        e_byte(e, 0x66);
    e_op_rr(e, sz == 8, sz == 1 ? op8 : op8 | 1, reg, rm);
}

/* The record of a logic result in rax at size sz, unless a later instruction rewrites it. */
static void logic_flags(struct jctx *j, unsigned sz)
{
    if (jit_lf_dead(j, j->k, true))
        jit_flags_now_live(j);
    else
        jit_emit_lf_logic(j, sz);
}

/* op r8, r8 (00, 08, .., 38: rm <- rm op reg; 02, .., 3A: reg <- reg op rm), op r8, imm8 (80), and
 * the same at 16 bits (01, 03, .., 3B; 81, 83), operands zero-extended as alu_op masks them. */
static bool alu_narrow(struct jctx *j, const struct insn *i, unsigned sz)
{
    bool imm = i->op >= 0x80, to_reg = !imm && (i->op & 2);
    unsigned aop = imm ? (i->modrm >> 3) & 7 : (i->op >> 3) & 7;
    unsigned dst = to_reg ? i->reg : i->rm, src = to_reg ? i->rm : i->reg;
    jit_carry_in(j, aop);
    get(j, i, RAX, dst, sz);
    if (imm)
        e_mov_imm(&j->e, RCX, i->imm & size_mask(sz));
    else
        get(j, i, RCX, src, sz);
    jit_emit_alu(j, j->k, aop, sz);
    if (aop != ALU_CMP)
        jit_store_reg_sz(j, i, RAX, dst, sz);
    return true;
}

/* r8 <- r8 op [mem] (02, 0A, 22, 2A, 32; cmp r8, [mem] and the stores: jit-alu.c). adc/sbb stay
 * with the handler: the TLB lookup rewrites the host's CF. */
static bool alu_r8_m(struct jctx *j, const struct insn *i)
{
    unsigned aop = (i->op >> 3) & 7;
    if (aop == ALU_ADC || aop == ALU_SBB || aop == ALU_CMP || !jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, 1, false);
    e_op_mem(&j->e, false, 0x0fb6, RCX, RDX, HNONE, 0, 0);            /* movzx ecx, byte [rdx] */
    get(j, i, RAX, i->reg, 1);
    jit_emit_alu(j, j->k, aop, 1);
    jit_store_reg_sz(j, i, RAX, i->reg, 1);
    jit_stub_done(j);
    return true;
}

/* rax <- the operand of size sz at [rdx], zero-extended. */
static void load_zx(struct emit *e, unsigned sz)
{
    if (sz <= 2)
        e_op_mem(e, false, sz == 1 ? 0x0fb6 : 0x0fb7, RAX, RDX, HNONE, 0, 0);
    else
        e_op_mem(e, sz == 8, 0x8b, RAX, RDX, HNONE, 0, 0);
}

/* test al/eAX, imm (A8, A9), test r/m, imm (F6/F7 /0 /1; F6 on memory: jit-alu.c). */
static bool test_imm(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned sz = (i->op & 1) ? i->opsize : 1;
    bool acc = i->op == 0xa8 || i->op == 0xa9, mem = !acc && i->mod != 3;
    if (mem && (sz == 1 || !jit_addr_ok(j, j->k, i)))
        return false;
    if (mem) {
        jit_emit_mem_operand(j, j->k, i, sz, false);
        load_zx(e, sz);
    } else {
        get(j, i, RAX, acc ? R_RAX : i->rm, sz);
    }
    e_mov_imm(e, RCX, sz == 8 ? i->imm : i->imm & size_mask(sz));
    op_sz(e, 0x20, RCX, RAX, sz);                                      /* and rax, rcx */
    logic_flags(j, sz);
    if (mem)
        jit_stub_done(j);
    return true;
}

/* not r (F6/F7 /2): no flags. A byte or word in place in struct cpu, else on the register's host
 * copy (the 32-bit not zero-extends, as the guest's does). */
static bool not_r(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    if (sz <= 2) {
        if (sz == 2)
            e_byte(e, 0x66);
        e_op_mem(e, false, sz == 1 ? 0xf6 : 0xf7, 2, RBX, HNONE, 0,
                 sz == 1 ? jit_reg8_off(i, i->rm) : GPR(i->rm));       /* not [gpr] */
        if (sz == 1)
            jit_clobber8(j, i, i->rm);
        else
            jit_clobber(j, i->rm);
        return true;
    }
    unsigned h = jit_cached(j, i->rm);
    if (h != HNONE) {
        e_op_rr(e, sz == 8, 0xf7, 2, h);
        jit_set_reg(j, i->rm);
        return true;
    }
    jit_load_reg(j, RAX, i->rm, sz);
    e_op_rr(e, sz == 8, 0xf7, 2, RAX);
    jit_store_reg(j, RAX, i->rm);
    return true;
}

/* neg r (F6/F7 /3): the record alu_op(SUB, size, 0, old) stores (src1 0, src2 old, res 0 - old in
 * 64 bits, cin 0), the flags from the host's neg at the size. */
static bool neg_r(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    get(j, i, RCX, i->rm, sz);
    jit_emit_neg_record(j, sz);
    op_sz(e, 0xf6, 3, RCX, sz);                                        /* neg cl..rcx */
    jit_store_reg_sz(j, i, RCX, i->rm, sz);
    jit_flags_now_live(j);
    return true;
}

/* Operand-size prefix of a host instruction without ModRM at guest size sz. */
static void size_prefix(struct emit *e, unsigned sz)
{
    if (sz == 2)
        e_byte(e, 0x66);
    else if (sz == 8)
        e_byte(e, 0x48);
}

/* cbw/cwde/cdqe (98) and cwd/cdq/cqo (99) by the host's own; no flags. cbw and cwd write a word,
 * the rest of the register as loaded. */
static bool convert(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned sz = i->opsize;
    jit_load_reg(j, RAX, R_RAX, 8);
    if (i->op == 0x99)
        jit_load_reg(j, RDX, R_RDX, 8);
    size_prefix(e, sz);
    e_byte(e, i->op);
    jit_store_reg(j, i->op == 0x99 ? RDX : RAX, i->op == 0x99 ? R_RDX : R_RAX);
    return true;
}

/* bswap r32/r64 (the 16-bit form's undefined result is left to the handler); no flags. */
static bool bswap_r(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned r = (i->op & 7) | ((i->rex & 1) << 3), sz = i->opsize;
    if (sz != 4 && sz != 8)
        return false;
    jit_load_reg(j, RAX, r, sz);
    e_rex(e, sz == 8, 0, HNONE, RAX, false);
    e_byte(e, 0x0f);
    e_byte(e, 0xc8);                                                   /* bswap eax/rax */
    jit_store_reg(j, RAX, r);
    return true;
}

/* movsxd r64, m32 (and r32, m32: a plain load) through the TLB. */
static bool movsxd_m(struct jctx *j, const struct insn *i)
{
    unsigned sz = i->opsize;
    if ((sz != 4 && sz != 8) || !jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, 4, false);
    e_op_mem(&j->e, sz == 8, sz == 8 ? 0x63 : 0x8b, RAX, RDX, HNONE, 0, 0);
    jit_store_reg(j, RAX, i->reg);
    jit_stub_done(j);
    return true;
}

bool jit_alu8_op(struct jctx *j, const struct insn *i)
{
    unsigned op = i->op, sub = (i->modrm >> 3) & 7;
    bool reg = i->mod == 3;
    if (i->lock)
        return false;
    if ((op == 0x80 || (op < 0x40 && ((op & 7) == 0 || (op & 7) == 2))) && reg)
        return alu_narrow(j, i, 1);
    if (op < 0x40 && (op & 7) == 2 && !reg)
        return alu_r8_m(j, i);
    if ((op == 0x81 || op == 0x83 || (op < 0x40 && ((op & 7) == 1 || (op & 7) == 3))) && reg &&
        i->opsize == 2)
        return alu_narrow(j, i, 2);
    if (op == 0xa8 || op == 0xa9 || ((op == 0xf6 || op == 0xf7) && sub <= 1))
        return test_imm(j, i);
    unsigned sz = (op & 1) ? i->opsize : 1;
    if ((op == 0xf6 || op == 0xf7) && sub == 2 && reg)
        return not_r(j, i, sz);
    if ((op == 0xf6 || op == 0xf7) && sub == 3 && reg)
        return neg_r(j, i, sz);
    if (op == 0x98 || op == 0x99)
        return convert(j, i);
    if (op >= 0x1c8 && op <= 0x1cf)
        return bswap_r(j, i);
    if (op == 0x63 && !reg)
        return movsxd_m(j, i);
    return false;
}
