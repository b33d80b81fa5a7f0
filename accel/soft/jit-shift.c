/* The translator's emitters for shifts and rotates by an immediate, imul and bt/bts/btr/btc of
 * registers (the forms fast-int.c specializes; SDM vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, IMUL,
 * BT, BTS, BTR, BTC): the host's own instruction at the same width, with the lazy record (flags.c)
 * or cpu->flags as the handler leaves them unless a later instruction of the block rewrites them
 * first. */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

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
    jit_load_reg(j, RAX, i->rm, size);
    if (jit_lf_dead(j, k, n == 1 && sub != 4)) {
        e_shift_ri(e, w, sub, RAX, (uint8_t)n);
        jit_store_reg(j, RAX, i->rm);
        if (n == 1 && sub != 4) {
            jit_emit_clear_af(j);          /* the host's AF is not the record's 0 */
            jit_flags_now_live(j);
        } else
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
    jit_store_reg(j, RAX, i->rm);
    if (sub == 4) {                                                    /* OF: new sign bit ^ CF */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(bits - 1));
        e_op_mem(e, false, 0x33, RDX, RBX, HNONE, 0, LF(src1));        /* xor edx, [src1] */
        e_store64(e, RDX, RBX, LF(src2));
        j->flags_live = false;
    } else if (n == 1) {
        jit_emit_clear_af(j);
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
    jit_load_reg(j, RAX, i->rm, size);
    e_shift_ri(e, size == 8, sub, RAX, (uint8_t)n);
    jit_store_reg(j, RAX, i->rm);
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

/* imul (0F AF, 6B, 69) of registers: the low half; CF = OF = "the result did not fit" (mul_flags'
 * LF_SHIFT record). */
static bool emit_imul(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    bool w = sz == 8;
    unsigned h = jit_cached(j, i->reg);
    if (i->op == 0x1af && h != HNONE && jit_lf_dead(j, j->k, false)) {
        /* The record dead and reg in its host register: the host's imul on that register. */
        unsigned src = jit_cached(j, i->rm);
        if (src == HNONE) {
            jit_load_reg(j, RCX, i->rm, sz);
            src = RCX;
        }
        e_op_rr(e, w, 0x0faf, h, src);                                 /* imul h, src */
        e_store64(e, h, RBX, GPR(i->reg));
        j->flags_live = false;
        return true;
    }
    jit_load_reg(j, RAX, i->rm, sz);
    if (i->op == 0x1af) {
        e_mov_rr(e, true, RCX, RAX);
        jit_load_reg(j, RAX, i->reg, sz);
    } else {
        e_mov_imm(e, RCX, w ? i->imm : (uint32_t)i->imm);
    }
    e_op_rr(e, w, 0x0faf, RAX, RCX);                                   /* imul rax, rcx */
    j->flags_live = false;
    if (jit_lf_dead(j, j->k, false)) {
        jit_store_reg(j, RAX, i->reg);     /* a later instruction rewrites the record first */
        return true;
    }
    e_op_rr(e, false, 0x0f90, 0, RDX);                                 /* seto dl */
    e_op_rr(e, false, 0x0fb6, RDX, RDX);                               /* movzx edx, dl */
    e_store64(e, RDX, RBX, LF(src1));
    e_store64(e, RDX, RBX, LF(src2));
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm32(e, RBX, LF(cin), (LF_SHIFT << 8) | (sz << 16));
    jit_store_reg(j, RAX, i->reg);
    j->flags_live = false;
    return true;
}

/* bt/bts/btr/btc of a register by an immediate (0F BA /4../7) or a register (0F A3, AB, B3, BB),
 * only with the flags live: CF <- the bit; OF, SF, ZF, AF and PF kept (the SDM leaves all but ZF
 * undefined; alu.h's flags_set_cf keeps them, and so does this). The kept five are saved around
 * the host's bt by lahf and seto and put back by sahf and an add that overflows exactly when OF
 * was set; then the guest's flags are live again. When a reader may need them in memory, the six
 * are also stored to cpu->flags (lazy record LF_NONE) from ah and cl before that, so no pushf or
 * popf is needed. bts/btr/btc write the operand back (a 32-bit one zero-extended). */
static bool emit_bt(struct jctx *j, const struct insn *i, unsigned sz, unsigned kind)
{
    struct emit *e = &j->e;
    if (!j->flags_live)
        return false;
    jit_use_live_flags(j);
    bool w = sz == 8, by_reg = i->op != 0x1ba;
    jit_load_reg(j, RDX, i->rm, sz);                                   /* (mov keeps EFLAGS) */
    if (by_reg)
        jit_load_reg(j, RSI, i->reg, sz);
    e_byte(e, 0x9f);                                                   /* lahf */
    e_op_rr(e, false, 0x0f90, 0, RCX);                                 /* seto cl */
    if (by_reg) {
        static const unsigned rr[4] = { 0x0fa3, 0x0fab, 0x0fb3, 0x0fbb };
        e_op_rr(e, w, rr[kind], RSI, RDX);                             /* bt* rdx, rsi */
    } else {
        e_op_rr(e, w, 0x0fba, 4 + kind, RDX);                          /* bt* rdx, imm8 */
        e_byte(e, (uint8_t)i->imm);
    }
    if (kind)
        jit_store_reg(j, RDX, i->rm);                                  /* (movs keep EFLAGS) */
    e_op_rr(e, false, 0x0f92, 0, RDX);                                 /* setc dl */
    e_byte(e, 0x80), e_byte(e, 0xe4), e_byte(e, 0xfe);                 /* and ah, 0xfe */
    e_byte(e, 0x08), e_byte(e, 0xd4);                                  /* or ah, dl */
    if (!jit_lf_dead(j, j->k, true)) {
        e_byte(e, 0x0f), e_byte(e, 0xb6), e_byte(e, 0xf4);             /* movzx esi, ah */
        e_alu_ri(e, false, 4, RSI, F_ARITH & 0xff);
        e_op_rr(e, false, 0x0fb6, RDX, RCX);                           /* movzx edx, cl */
        e_shift_ri(e, false, 4, RDX, 11);                              /* OF is bit 11 */
        e_op_rr(e, false, 0x09, RDX, RSI);                             /* or esi, edx */
        e_load64(e, RDX, RBX, OFF(flags));
        e_alu_ri(e, true, 4, RDX, ~(int32_t)F_ARITH);
        e_op_rr(e, true, 0x09, RSI, RDX);                              /* or rdx, rsi */
        e_store64(e, RDX, RBX, OFF(flags));
        e_store_imm8(e, RBX, LF(op), LF_NONE);
    }
    e_byte(e, 0x80), e_byte(e, 0xc1), e_byte(e, 0x7f);                 /* add cl, 0x7f: OF */
    e_byte(e, 0x9e);                                                   /* sahf */
    jit_flags_now_live(j);
    return true;
}

/* By opcode: C1 /0 /1 /4 /5 /7, 0F AF, 6B, 69, 0F BA /4../7, 0F A3, AB, B3, BB with register
 * operands. */
bool jit_shift_op(struct jctx *j, const struct insn *i)
{
    unsigned sz = i->opsize, op = i->op;
    bool reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if (i->lock || !reg || !wide)
        return false;
    if (op == 0xc1) {
        unsigned sub = (i->modrm >> 3) & 7;
        return sub <= 1 ? emit_rotate(j, j->k, i, sz) : emit_shift(j, j->k, i, sz);
    }
    if (op == 0x1af || op == 0x6b || op == 0x69)
        return emit_imul(j, i, sz);
    if (op == 0x1ba && ((i->modrm >> 3) & 7) >= 4)
        return emit_bt(j, i, sz, ((i->modrm >> 3) & 7) - 4);
    if (op == 0x1a3 || op == 0x1ab || op == 0x1b3 || op == 0x1bb)
        return emit_bt(j, i, sz, (op >> 3) & 3);
    return false;
}
