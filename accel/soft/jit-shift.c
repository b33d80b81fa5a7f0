/* The translator's emitters for imul and bt/bts/btr/btc of registers (the forms fast-int.c
 * specializes; SDM vol. 2, IMUL, BT, BTS, BTR, BTC), bsf/bsr/tzcnt/lzcnt whose flags are dead
 * (BSF, BSR, TZCNT, LZCNT), and the dispatch of shifts and rotates to
 * jit-grp2.c: the host's own instruction at the same width, with the lazy record (flags.c) or
 * cpu->flags as the handler leaves them unless a later instruction of the block rewrites them
 * first. */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

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
        jit_set_reg(j, i->reg);
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
    if (!jit_lf_dead(j, j->k, true))
        jit_emit_flags_store(j, false, RCX);                           /* (keeps ah and cl) */
    e_byte(e, 0x80), e_byte(e, 0xc1), e_byte(e, 0x7f);                 /* add cl, 0x7f: OF */
    e_byte(e, 0x9e);                                                   /* sahf */
    jit_flags_now_live(j);
    return true;
}

/* By opcode: C1, D1, D3 (jit-grp2.c), 0F AF, 6B, 69, 0F BA /4../7, 0F A3, AB, B3, BB with
 * register operands. */
/* bsf/bsr (0F BC/BD) and tzcnt/lzcnt (F3 0F BC/BD) at 32/64 bits, a register or memory source,
 * when a later instruction of the block rewrites all six flags before anything reads one
 * (op-bit.c's op_bsf/op_bsr keep the flags they do not define, which only matters if read): the
 * host's bsf/bsr for the result. A zero source leaves bsf/bsr's destination unchanged (as the
 * handler, and AMD, have it); tzcnt gives the width, lzcnt (width - 1) - (-1). */
static bool emit_bit_scan(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    bool w = sz == 8, rev = i->op == 0x1bd, cnt = i->pfx == 2;
    if ((i->mod != 3 && !jit_addr_ok(j, j->k, i)) || !jit_lf_dead(j, j->k, false))
        return false;
    if (i->mod == 3) {
        jit_load_reg(j, RCX, i->rm, sz);
    } else {
        jit_emit_mem_operand(j, j->k, i, sz, false);
        e_op_mem(e, w, 0x8b, RCX, RDX, HNONE, 0, 0);
    }
    e_op_rr(e, w, rev ? 0x0fbd : 0x0fbc, RAX, RCX);                    /* bsf/bsr rax, rcx */
    if (!cnt) {
        uint8_t *zero = e_jcc(e, CC_E);                                /* source 0: unchanged */
        jit_store_reg(j, RAX, i->reg);
        e_patch(zero, e->p);
    } else if (!rev) {
        e_mov_imm(e, RDX, sz * 8);
        e_cmov(e, CC_E, RAX, RDX);                                     /* tzcnt 0 = the width */
        jit_store_reg(j, RAX, i->reg);
    } else {
        e_mov_imm(e, RDX, ~0ull);
        e_cmov(e, CC_E, RAX, RDX);                                     /* bsr of 0 as -1 */
        e_mov_imm(e, RDX, sz * 8 - 1);
        e_op_rr(e, true, 0x29, RAX, RDX);                              /* sub rdx, rax */
        jit_store_reg(j, RDX, i->reg);
    }
    if (i->mod != 3)
        jit_stub_done(j);
    j->flags_live = false;
    return true;
}

bool jit_shift_op(struct jctx *j, const struct insn *i)
{
    unsigned sz = i->opsize, op = i->op;
    bool reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if ((op | 1) == 0xc1 || (op | 1) == 0xd1 || (op | 1) == 0xd3)
        return jit_grp2(j, i);
    if ((op == 0x1bc || op == 0x1bd) && wide && !i->lock && (i->pfx == 0 || i->pfx == 2))
        return emit_bit_scan(j, i, sz);
    if (i->lock || !reg || !wide)
        return false;
    if (op == 0x1af || op == 0x6b || op == 0x69)
        return emit_imul(j, i, sz);
    if (op == 0x1ba && ((i->modrm >> 3) & 7) >= 4)
        return emit_bt(j, i, sz, ((i->modrm >> 3) & 7) - 4);
    if (op == 0x1a3 || op == 0x1ab || op == 0x1b3 || op == 0x1bb)
        return emit_bt(j, i, sz, (op >> 3) & 3);
    return false;
}
