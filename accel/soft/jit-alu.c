/* The translator's per-form emitters for the eight ALU operations (the forms fast-alu-cc.c picks),
 * test and inc/dec, and by opcode test r8, ALU ops on
 * the accumulator, ALU ops and test on a byte in memory (inc/dec in memory: jit-unary.c): the host's own instruction
 * at the same width, and the lazy record (flags.c) stored as alu.h's alu_compute stores it unless
 * a later instruction of the block rewrites it first (SDM vol. 2, ADD..CMP, TEST, INC, DEC). */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* An ALU op on rax (a) and rcx (b) at size 8, 4, 2 or 1, storing the lazy flags as lf_set does; the
 * result stays in rax and its flags in EFLAGS. adc/sbb take the guest's CF from the host's CF: the
 * caller put it there (jit_carry_in) before loading a and b. */
bool jit_emit_alu(struct jctx *j, unsigned k, unsigned op, unsigned size)
{
    struct emit *e = &j->e;
    unsigned lf = alu_lf_kind(op);
    bool w = size == 8, dead = jit_lf_dead(j, k, true);
    if (!dead) {
        e_store64(e, RAX, RBX, LF(src1));
        e_store64(e, RCX, RBX, LF(src2));
    }
    /* cmp is done as sub: the same flags, and the difference is the lazy record's result. */
    unsigned hop = (op == ALU_CMP ? ALU_SUB : op) << 3 | (size == 1 ? 0 : 1);
    if (op == ALU_ADC || op == ALU_SBB) {
        /* The carry in is CF, in the host's CF (jit_carry_in): recorded as cin. */
        if (!dead)
            e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(cin));    /* setc [cin] */
        if (size == 2)
            e_byte(e, 0x66);
        e_op_rr(e, w, hop, RCX, RAX);                                  /* adc/sbb rax, rcx */
        if (!dead) {
            e_store64(e, RAX, RBX, LF(res));
            e_store_imm8(e, RBX, LF(op), (uint8_t)lf);
            e_store_imm8(e, RBX, LF(size), (uint8_t)size);
        }
    } else {
        if (size == 2)
            e_byte(e, 0x66);
        e_op_rr(e, w, hop, RCX, RAX);                                  /* op rax, rcx */
        if (!dead) {
            e_store64(e, RAX, RBX, LF(res));
            e_store_imm32(e, RBX, LF(cin), (lf << 8) | (size << 16));  /* cin 0, op, size */
        }
    }
    jit_flags_now_live(j);
    return true;
}

/* adc and sbb read CF: the guest's CF into the host's CF first (from the live flags, else the
 * lazy record: jit-flags.c), before the operands are loaded (the record's path clobbers rax). */
void jit_carry_in(struct jctx *j, unsigned op)
{
    if (op == ALU_ADC || op == ALU_SBB)
        jit_emit_cf_live(j);
}

/* rm <- rm op (reg, or imm when imm) with rm in its host register (jit-regs.c) and the lazy
 * record dead: the host's op on that register itself (at 32 bits it zero-extends, as the guest's
 * does), leaving the flags in EFLAGS, the register dirty (jit-regs.c). False: the general path. */
static bool emit_alu_cached(struct jctx *j, const struct insn *i, unsigned op, unsigned sz, bool imm)
{
    struct emit *e = &j->e;
    unsigned dst = jit_cached(j, i->rm);
    bool w = sz == 8;
    if (dst == HNONE || op == ALU_ADC || op == ALU_SBB || !jit_lf_dead(j, j->k, true))
        return false;
    if (imm) {
        e_alu_ri(e, w, op, dst, (int32_t)i->imm);
    } else {
        unsigned src = jit_cached(j, i->reg);
        if (src == HNONE) {
            jit_load_reg(j, RCX, i->reg, sz);
            src = RCX;
        }
        e_op_rr(e, w, op << 3 | 1, src, dst);                          /* op dst, src */
    }
    if (op != ALU_CMP)
        jit_set_reg(j, i->rm);
    jit_flags_now_live(j);
    return true;
}

/* rm <- rm op reg (op from opcode bits 5:3). */
bool jit_alu_rr(struct jctx *j, const struct insn *i, unsigned sz)
{
    unsigned op = (i->op >> 3) & 7;
    if (emit_alu_cached(j, i, op, sz, false))
        return true;
    jit_carry_in(j, op);
    jit_load_reg(j, RAX, i->rm, sz);
    jit_load_reg(j, RCX, i->reg, sz);
    jit_emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        jit_store_reg(j, RAX, i->rm);
    return true;
}

/* rm <- rm op imm (op from ModRM.reg). */
bool jit_alu_ri(struct jctx *j, const struct insn *i, unsigned sz)
{
    unsigned op = (i->modrm >> 3) & 7;
    if (emit_alu_cached(j, i, op, sz, true))
        return true;
    jit_carry_in(j, op);
    jit_load_reg(j, RAX, i->rm, sz);
    e_mov_imm(&j->e, RCX, sz == 8 ? i->imm : (uint32_t)i->imm);
    jit_emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        jit_store_reg(j, RAX, i->rm);
    return true;
}

/* reg <- reg op [mem]. */
bool jit_alu_rm(struct jctx *j, const struct insn *i, unsigned sz)
{
    unsigned op = (i->op >> 3) & 7;
    if (op == ALU_ADC || op == ALU_SBB || !jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, sz, false);
    e_op_mem(&j->e, sz == 8, 0x8b, RCX, RDX, HNONE, 0, 0);
    jit_load_reg(j, RAX, i->reg, sz);
    jit_emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        jit_store_reg(j, RAX, i->reg);
    jit_stub_done(j);
    return true;
}

/* [mem] <- [mem] op (reg or imm), in place on the TLB's host address. */
static bool emit_alu_mem(struct jctx *j, const struct insn *i, unsigned sz, bool imm)
{
    struct emit *e = &j->e;
    bool w = sz == 8;
    unsigned op = imm ? (i->modrm >> 3) & 7 : (i->op >> 3) & 7;
    if (op == ALU_ADC || op == ALU_SBB || !jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, sz, true);
    e_op_mem(e, w, 0x8b, RAX, RDX, HNONE, 0, 0);
    if (imm)
        e_mov_imm(e, RCX, w ? i->imm : (uint32_t)i->imm);
    else
        jit_load_reg(j, RCX, i->reg, sz);
    jit_emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        e_op_mem(e, w, 0x89, RAX, RDX, HNONE, 0, 0);
    jit_stub_done(j);
    return true;
}

bool jit_alu_mr(struct jctx *j, const struct insn *i, unsigned sz)
{
    return emit_alu_mem(j, i, sz, false);
}

bool jit_alu_mi(struct jctx *j, const struct insn *i, unsigned sz)
{
    return emit_alu_mem(j, i, sz, true);
}

bool jit_test_rr(struct jctx *j, const struct insn *i, unsigned sz)
{
    jit_load_reg(j, RAX, i->rm, sz);
    jit_load_reg(j, RCX, i->reg, sz);
    e_op_rr(&j->e, sz == 8, 0x21, RCX, RAX);                           /* and rax, rcx */
    if (jit_lf_dead(j, j->k, true))
        jit_flags_now_live(j);
    else
        jit_emit_lf_logic(j, sz);
    return true;
}

/* inc/dec keep CF, so the lazy record carries it in cin: taken from live host flags (the host's
 * inc/dec keep it too), else asked of the lazy record and put in the host's CF first, so that the
 * guest's six flags are live in EFLAGS after the host's inc/dec either way. */
bool jit_incdec(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    bool dec = (i->modrm >> 3) & 1;
    unsigned h = jit_cached(j, i->rm);
    if (jit_lf_dead(j, j->k, false)) {
        /* All six flags are rewritten before anything reads one, even the CF inc/dec keep: the
         * host's inc/dec alone, the flags left to the next writer. */
        unsigned r = h != HNONE ? h : RAX;
        if (h == HNONE)
            jit_load_reg(j, RAX, i->rm, sz);
        e_op_rr(e, sz == 8, 0xff, dec ? 1 : 0, r);
        if (h != HNONE)
            jit_set_reg(j, i->rm);
        else
            jit_store_reg(j, RAX, i->rm);
        j->flags_live = false;
        return true;
    }
    jit_emit_cf_live(j);
    if (jit_lf_dead(j, j->k, true)) {
        /* A later instruction (or the block's back edge: jit-flags.c) rewrites the record: the
         * host's inc/dec alone, on the cached register or on rax. */
        if (h != HNONE) {
            e_op_rr(e, sz == 8, 0xff, dec ? 1 : 0, h);
            jit_set_reg(j, i->rm);
        } else {
            jit_load_reg(j, RAX, i->rm, sz);
            e_op_rr(e, sz == 8, 0xff, dec ? 1 : 0, RAX);
            jit_store_reg(j, RAX, i->rm);
        }
        jit_flags_now_live(j);
        return true;
    }
    jit_load_reg(j, RAX, i->rm, sz);
    e_store64(e, RAX, RBX, LF(src1));
    e_store_imm64(e, RBX, LF(src2), 1);
    e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(cin));            /* setc [cin] */
    e_op_rr(e, sz == 8, 0xff, dec ? 1 : 0, RAX);                       /* inc/dec rax */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
    e_store_imm8(e, RBX, LF(size), (uint8_t)sz);
    jit_store_reg(j, RAX, i->rm);
    jit_flags_now_live(j);
    return true;
}


/* ALU op on AL / eAX / rAX with an immediate (04, 05, 0C, 0D, ... 3C, 3D). */
static bool emit_alu_acc(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned size = (i->op & 1) ? i->opsize : 1, aop = (i->op >> 3) & 7;
    if (size == 2)
        return false;
    unsigned h = jit_cached(j, R_RAX);
    if (size != 1 && h != HNONE && aop != ALU_ADC && aop != ALU_SBB && jit_lf_dead(j, j->k, true)) {
        /* As emit_alu_cached: the host's op on rax's host register, the record dead. */
        e_alu_ri(e, size == 8, aop, h, (int32_t)i->imm);
        if (aop != ALU_CMP)
            jit_set_reg(j, R_RAX);
        jit_flags_now_live(j);
        return true;
    }
    jit_carry_in(j, aop);
    if (size == 1)
        e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, GPR(R_RAX));
    else
        jit_load_reg(j, RAX, R_RAX, size);
    e_mov_imm(e, RCX, size == 8 ? i->imm : i->imm & size_mask(size));
    jit_emit_alu(j, j->k, aop, size);
    if (aop != ALU_CMP) {
        if (size == 1) {
            e_op_mem(e, false, 0x88, RAX, RBX, HNONE, 0, GPR(R_RAX));   /* mov [al], al */
            jit_clobber(j, R_RAX);
        } else {
            jit_store_reg(j, RAX, R_RAX);
        }
    }
    return true;
}

/* cmp/test byte [mem], imm8 (80 /7, F6 /0): read-only. */
static bool emit_cmp_test_m8(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned sub = (i->modrm >> 3) & 7;
    if (!((i->op == 0x80 && sub == 7) || (i->op == 0xf6 && sub == 0)))
        return false;
    jit_emit_mem_operand(j, j->k, i, 1, false);
    e_op_mem(e, false, 0x0fb6, RAX, RDX, HNONE, 0, 0);
    e_mov_imm(e, RCX, i->imm & 0xff);
    if (i->op == 0x80) {
        jit_emit_alu(j, j->k, ALU_CMP, 1);
    } else {
        e_op_rr(e, false, 0x20, RCX, RAX);                             /* and al, cl */
        jit_emit_lf_logic(j, 1);
    }
    jit_stub_done(j);
    return true;
}

/* The eight ALU ops (not adc/sbb) on a byte in memory: op [mem], r8 (00, 08, 20, 28, 30, 38),
 * cmp r8, [mem] (3A) and op [mem], imm8 (80 /0, /1, /4, /5, /6); in place on the TLB's host
 * address, the operands zero-extended as the handler's lazy record has them. */
static bool emit_alu_m8(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned op = i->op;
    bool imm = op == 0x80, rev = op == 0x3a;
    unsigned aop = imm ? (i->modrm >> 3) & 7 : (op >> 3) & 7;
    if (!imm && !rev && (op >= 0x40 || (op & 7) != 0))
        return false;
    if (aop == ALU_ADC || aop == ALU_SBB || (imm && aop == ALU_CMP))
        return false;
    jit_emit_mem_operand(j, j->k, i, 1, aop != ALU_CMP);
    e_op_mem(e, false, 0x0fb6, rev ? RCX : RAX, RDX, HNONE, 0, 0);   /* movzx e?x, byte [rdx] */
    if (imm)
        e_mov_imm(e, RCX, i->imm & 0xff);
    else
        e_op_mem(e, false, 0x0fb6, rev ? RAX : RCX, RBX, HNONE, 0, jit_reg8_off(i, i->reg));
    jit_emit_alu(j, j->k, aop, 1);
    if (aop != ALU_CMP)
        e_op_mem(e, false, 0x88, RAX, RDX, HNONE, 0, 0);                /* mov [rdx], al */
    jit_stub_done(j);
    return true;
}

/* ALU-family instructions fast-alu-cc.c has no form for, by opcode (shifts, imul, bt: jit-shift.c). */
bool jit_alu_op(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned op = i->op;
    bool reg = i->mod == 3;
    if (i->lock)
        return false;
    if (op == 0x84 && reg) {                                           /* test r8, r8 */
        e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, jit_reg8_off(i, i->rm));
        e_op_mem(e, false, 0x0fb6, RCX, RBX, HNONE, 0, jit_reg8_off(i, i->reg));
        e_op_rr(e, false, 0x20, RCX, RAX);                             /* and al, cl */
        jit_emit_lf_logic(j, 1);
        return true;
    }
    if (op < 0x40 && (op & 7) >= 4 && (op & 7) <= 5)
        return emit_alu_acc(j, i);
    if ((op == 0x80 || op == 0xf6) && !reg && jit_addr_ok(j, j->k, i) && emit_cmp_test_m8(j, i))
        return true;
    if ((op < 0x40 || op == 0x80) && !reg && jit_addr_ok(j, j->k, i) && emit_alu_m8(j, i))
        return true;
    return false;
}
