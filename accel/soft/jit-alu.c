/* The translator's per-form emitters for the eight ALU operations (the forms fast-alu-cc.c picks),
 * test and inc/dec, and by opcode shifts and rotates by an immediate, imul, test r8, ALU ops on
 * the accumulator, cmp/test of a byte in memory and inc/dec in memory: the host's own instruction
 * at the same width, and the lazy record (flags.c) stored as alu.h's alu_compute stores it unless
 * a later instruction of the block rewrites it first (SDM vol. 2, ADD..CMP, SHL/SHR/SAR, ROL/ROR,
 * IMUL, TEST, INC, DEC). */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* An ALU op on rax (a) and rcx (b) at size 8 or 4, storing the lazy flags as lf_set does; the
 * result stays in rax and its flags in EFLAGS. False for adc/sbb (they read CF: handler). */
static bool emit_alu(struct jctx *j, unsigned k, unsigned op, unsigned size)
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
        /* The carry in is CF, live in EFLAGS (alu_inline_ok checked): recorded as cin. */
        jit_use_live_flags(j);
        if (!dead)
            e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(cin));    /* setc [cin] */
        e_op_rr(e, w, hop, RCX, RAX);                                  /* adc/sbb rax, rcx */
        if (!dead) {
            e_store64(e, RAX, RBX, LF(res));
            e_store_imm8(e, RBX, LF(op), (uint8_t)lf);
            e_store_imm8(e, RBX, LF(size), (uint8_t)size);
        }
    } else {
        e_op_rr(e, w, hop, RCX, RAX);                                  /* op rax, rcx */
        if (!dead) {
            e_store64(e, RAX, RBX, LF(res));
            e_store_imm32(e, RBX, LF(cin), (lf << 8) | (size << 16));  /* cin 0, op, size */
        }
    }
    jit_flags_now_live(j);
    return true;
}

/* adc and sbb need CF: inline only while the flags are live in EFLAGS. */
static bool alu_inline_ok(const struct jctx *j, unsigned op)
{
    return (op != ALU_ADC && op != ALU_SBB) || j->flags_live;
}

/* Shifts by an immediate (C1 /4 /5 /7, register operand): the host shift, and the lazy record
 * op-shift.c's do_shift writes (LF_SHIFT: CF in src1, OF in src2). */
static bool emit_shift(struct jctx *j, unsigned k, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    unsigned sub = (i->modrm >> 3) & 7, bits = size * 8;
    unsigned n = (unsigned)i->imm & (size == 8 ? 63 : 31);
    bool w = size == 8;
    if (n == 0 || (sub != 4 && sub != 5 && sub != 7))
        return false;
    jit_load_reg(e, RAX, i->rm, size);
    if (jit_lf_dead(j, k, n == 1 && sub != 4)) {
        e_shift_ri(e, w, sub, RAX, (uint8_t)n);
        e_store64(e, RAX, RBX, GPR(i->rm));
        if (n == 1 && sub != 4)
            jit_flags_now_live(j);
        else
            j->flags_live = false;
        return true;
    }
    if (sub == 5) {                                                    /* OF: the old sign bit */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(bits - 1));
        e_store64(e, RDX, RBX, LF(src2));
    } else if (sub == 7) {
        e_store_imm64(e, RBX, LF(src2), 0);
    }
    e_store_imm64(e, RBX, LF(src1), 0);
    e_shift_ri(e, w, sub, RAX, (uint8_t)n);
    e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(src1));            /* setc [src1] */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm32(e, RBX, LF(cin), (LF_SHIFT << 8) | (size << 16));
    e_store64(e, RAX, RBX, GPR(i->rm));
    if (sub == 4) {                                                    /* OF: new sign bit ^ CF */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(bits - 1));
        e_op_mem(e, false, 0x33, RDX, RBX, HNONE, 0, LF(src1));        /* xor edx, [src1] */
        e_store64(e, RDX, RBX, LF(src2));
        j->flags_live = false;
    } else if (n == 1) {
        jit_flags_now_live(j);             /* a 1-bit shift's OF is the host's too */
    } else {
        j->flags_live = false;
    }
    return true;
}

/* Rotates by an immediate (C1 /0 /1, register): they keep SF, ZF, AF, PF, so only with the flags
 * live; then all six are written back to cpu->flags (materialized, as do_shift leaves them). */
static bool emit_rotate(struct jctx *j, unsigned k, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    unsigned sub = (i->modrm >> 3) & 7;
    unsigned n = (unsigned)i->imm & (size == 8 ? 63 : 31);
    if (n == 0 || sub > 1 || !j->flags_live)
        return false;
    jit_use_live_flags(j);
    jit_load_reg(e, RAX, i->rm, size);
    e_shift_ri(e, size == 8, sub, RAX, (uint8_t)n);
    e_store64(e, RAX, RBX, GPR(i->rm));
    if (jit_lf_dead(j, k, n == 1)) {
        /* The next writer replaces all six flags: they only need to stay in EFLAGS, which the
         * rotate changed as the guest's would (CF, OF; the rest kept). */
        if (n == 1)
            jit_flags_now_live(j);
        else
            j->flags_live = false;
        return true;
    }
    e_byte(e, 0x9c);                                                   /* pushfq */
    e_pop(e, RCX);
    e_alu_ri(e, false, 4, RCX, F_ARITH);
    e_load64(e, RDX, RBX, OFF(flags));
    e_alu_ri(e, true, 4, RDX, ~(int32_t)F_ARITH);
    e_op_rr(e, true, 0x09, RCX, RDX);                                  /* or rdx, rcx */
    e_store64(e, RDX, RBX, OFF(flags));
    e_store_imm8(e, RBX, LF(op), LF_NONE);
    j->flags_live = false;
    return true;
}

/* rm <- rm op reg (op from opcode bits 5:3). */
bool jit_alu_rr(struct jctx *j, const struct insn *i, unsigned sz)
{
    unsigned op = (i->op >> 3) & 7;
    if (!alu_inline_ok(j, op))
        return false;
    jit_load_reg(&j->e, RAX, i->rm, sz);
    jit_load_reg(&j->e, RCX, i->reg, sz);
    emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        e_store64(&j->e, RAX, RBX, GPR(i->rm));
    return true;
}

/* rm <- rm op imm (op from ModRM.reg). */
bool jit_alu_ri(struct jctx *j, const struct insn *i, unsigned sz)
{
    unsigned op = (i->modrm >> 3) & 7;
    if (!alu_inline_ok(j, op))
        return false;
    jit_load_reg(&j->e, RAX, i->rm, sz);
    e_mov_imm(&j->e, RCX, sz == 8 ? i->imm : (uint32_t)i->imm);
    emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        e_store64(&j->e, RAX, RBX, GPR(i->rm));
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
    jit_load_reg(&j->e, RAX, i->reg, sz);
    emit_alu(j, j->k, op, sz);
    if (op != ALU_CMP)
        e_store64(&j->e, RAX, RBX, GPR(i->reg));
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
        jit_load_reg(e, RCX, i->reg, sz);
    emit_alu(j, j->k, op, sz);
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
    jit_load_reg(&j->e, RAX, i->rm, sz);
    jit_load_reg(&j->e, RCX, i->reg, sz);
    e_op_rr(&j->e, sz == 8, 0x21, RCX, RAX);                           /* and rax, rcx */
    jit_emit_lf_logic(j, sz);
    return true;
}

/* inc/dec keep CF, so the lazy record carries it in cin: taken from live host flags (the host's
 * inc/dec keep it too), else asked of the lazy record and put in the host's CF first, so that the
 * guest's six flags are live in EFLAGS after the host's inc/dec either way. */
bool jit_incdec(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    jit_emit_cf_live(j);
    bool dec = (i->modrm >> 3) & 1;
    jit_load_reg(e, RAX, i->rm, sz);
    e_store64(e, RAX, RBX, LF(src1));
    e_store_imm64(e, RBX, LF(src2), 1);
    e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(cin));            /* setc [cin] */
    e_op_rr(e, sz == 8, 0xff, dec ? 1 : 0, RAX);                       /* inc/dec rax */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
    e_store_imm8(e, RBX, LF(size), (uint8_t)sz);
    e_store64(e, RAX, RBX, GPR(i->rm));
    jit_flags_now_live(j);
    return true;
}

/* imul (0F AF, 6B, 69) of registers: the low half; CF = OF = "the result did not fit" (mul_flags'
 * LF_SHIFT record). */
static bool emit_imul(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    bool w = sz == 8;
    jit_load_reg(e, RAX, i->rm, sz);
    if (i->op == 0x1af) {
        e_mov_rr(e, true, RCX, RAX);
        jit_load_reg(e, RAX, i->reg, sz);
    } else {
        e_mov_imm(e, RCX, w ? i->imm : (uint32_t)i->imm);
    }
    e_op_rr(e, w, 0x0faf, RAX, RCX);                                   /* imul rax, rcx */
    e_op_rr(e, false, 0x0f90, 0, RDX);                                 /* seto dl */
    e_op_rr(e, false, 0x0fb6, RDX, RDX);                               /* movzx edx, dl */
    e_store64(e, RDX, RBX, LF(src1));
    e_store64(e, RDX, RBX, LF(src2));
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm32(e, RBX, LF(cin), (LF_SHIFT << 8) | (sz << 16));
    e_store64(e, RAX, RBX, GPR(i->reg));
    j->flags_live = false;
    return true;
}

/* ALU op on AL / eAX / rAX with an immediate (04, 05, 0C, 0D, ... 3C, 3D). */
static bool emit_alu_acc(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned size = (i->op & 1) ? i->opsize : 1, aop = (i->op >> 3) & 7;
    if (size == 2)
        return false;
    if (size == 1)
        e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, GPR(R_RAX));
    else
        jit_load_reg(e, RAX, R_RAX, size);
    e_mov_imm(e, RCX, size == 8 ? i->imm : i->imm & size_mask(size));
    emit_alu(j, j->k, aop, size);
    if (aop != ALU_CMP) {
        if (size == 1)
            e_op_mem(e, false, 0x88, RAX, RBX, HNONE, 0, GPR(R_RAX));   /* mov [al], al */
        else
            e_store64(e, RAX, RBX, GPR(R_RAX));
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
        emit_alu(j, j->k, ALU_CMP, 1);
    } else {
        e_op_rr(e, false, 0x20, RCX, RAX);                             /* and al, cl */
        jit_emit_lf_logic(j, 1);
    }
    jit_stub_done(j);
    return true;
}

/* inc/dec [mem] (FF /0, /1): CF is kept, so the record's cin is the CF from before (r8). */
static bool emit_incdec_mem(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned sz = i->opsize;
    bool w = sz == 8, dec = (i->modrm >> 3) & 1;
    jit_emit_cf_r8(j);
    jit_emit_mem_operand(j, j->k, i, sz, true);
    e_op_mem(e, w, 0x8b, RAX, RDX, HNONE, 0, 0);
    e_store64(e, RAX, RBX, LF(src1));
    e_store_imm64(e, RBX, LF(src2), 1);
    e_op_mem(e, false, 0x88, R8, RBX, HNONE, 0, LF(cin));             /* mov [cin], r8b */
    e_op_rr(e, false, 0x0fba, 4, R8);                                  /* bt r8d, 0: CF */
    e_byte(e, 0);
    e_op_rr(e, w, 0xff, dec ? 1 : 0, RAX);                             /* inc/dec rax */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
    e_store_imm8(e, RBX, LF(size), (uint8_t)sz);
    e_op_mem(e, w, 0x89, RAX, RDX, HNONE, 0, 0);
    jit_flags_now_live(j);              /* the guest's CF put back before the host's inc/dec */
    jit_stub_done(j);
    return true;
}

/* bt of a register by an immediate (0F BA /4) or a register (0F A3), only with the flags live:
 * CF <- the bit; OF, SF, ZF, AF and PF kept (the SDM leaves all but ZF undefined; alu.h's
 * flags_set_cf keeps them, and so does this). The kept five are saved around the host's bt by
 * lahf and seto and put back by sahf and an add that overflows exactly when OF was set; then
 * the guest's flags are live again, and stored to cpu->flags when a reader may need them there. */
static bool emit_bt(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    if (!j->flags_live)
        return false;
    jit_use_live_flags(j);
    bool w = sz == 8;
    jit_load_reg(e, RDX, i->rm, sz);                                   /* (mov keeps EFLAGS) */
    if (i->op == 0x1a3)
        jit_load_reg(e, RSI, i->reg, sz);
    e_byte(e, 0x9f);                                                   /* lahf */
    e_op_rr(e, false, 0x0f90, 0, RCX);                                 /* seto cl */
    if (i->op == 0x1a3) {
        e_op_rr(e, w, 0x0fa3, RSI, RDX);                               /* bt rdx, rsi */
    } else {
        e_op_rr(e, w, 0x0fba, 4, RDX);                                 /* bt rdx, imm8 */
        e_byte(e, (uint8_t)i->imm);
    }
    e_op_rr(e, false, 0x0f92, 0, RDX);                                 /* setc dl */
    e_byte(e, 0x80), e_byte(e, 0xe4), e_byte(e, 0xfe);                 /* and ah, 0xfe */
    e_byte(e, 0x08), e_byte(e, 0xd4);                                  /* or ah, dl */
    e_byte(e, 0x80), e_byte(e, 0xc1), e_byte(e, 0x7f);                 /* add cl, 0x7f: OF */
    e_byte(e, 0x9e);                                                   /* sahf */
    if (!jit_lf_dead(j, j->k, true)) {
        e_byte(e, 0x9c);                                               /* pushfq */
        e_pop(e, RCX);
        e_mov_rr(e, true, RAX, RCX);
        e_alu_ri(e, false, 4, RAX, F_ARITH);
        e_load64(e, RDX, RBX, OFF(flags));
        e_alu_ri(e, true, 4, RDX, ~(int32_t)F_ARITH);
        e_op_rr(e, true, 0x09, RAX, RDX);                              /* or rdx, rax */
        e_store64(e, RDX, RBX, OFF(flags));
        e_store_imm8(e, RBX, LF(op), LF_NONE);
        e_push(e, RCX);
        e_byte(e, 0x9d);                                               /* popfq: live again */
    }
    jit_flags_now_live(j);
    return true;
}

/* ALU-family instructions fast-alu-cc.c has no form for, by opcode. */
bool jit_alu_op(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned sz = i->opsize, op = i->op;
    bool reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if (i->lock)
        return false;
    if (op == 0xc1 && reg && wide) {
        unsigned sub = (i->modrm >> 3) & 7;
        return sub <= 1 ? emit_rotate(j, j->k, i, sz) : emit_shift(j, j->k, i, sz);
    }
    if ((op == 0x1af || op == 0x6b || op == 0x69) && reg && wide)
        return emit_imul(j, i, sz);
    if (((op == 0x1ba && ((i->modrm >> 3) & 7) == 4) || op == 0x1a3) && reg && wide)
        return emit_bt(j, i, sz);
    if (op == 0x84 && reg) {                                           /* test r8, r8 */
        e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, jit_reg8_off(i, i->rm));
        e_op_mem(e, false, 0x0fb6, RCX, RBX, HNONE, 0, jit_reg8_off(i, i->reg));
        e_op_rr(e, false, 0x20, RCX, RAX);                             /* and al, cl */
        jit_emit_lf_logic(j, 1);
        return true;
    }
    if (op < 0x40 && (op & 7) >= 4 && (op & 7) <= 5 && alu_inline_ok(j, (op >> 3) & 7))
        return emit_alu_acc(j, i);
    if ((op == 0x80 || op == 0xf6) && !reg && jit_addr_ok(j, j->k, i))
        return emit_cmp_test_m8(j, i);
    if (op == 0xff && !reg && wide && ((i->modrm >> 3) & 7) < 2 && jit_addr_ok(j, j->k, i))
        return emit_incdec_mem(j, i);
    return false;
}
