/* Handlers split per ALU operation and per condition code: add/or/adc/sbb/and/sub/xor/cmp in their
 * register, immediate and memory forms, inc/dec of a register, and jcc, cmovcc and setcc. The general handlers and
 * fast-move.c's switch on the operation or the condition at run time; here it is fixed at decode
 * time, so the host's branch predictor sees one target per guest instruction, not a shared jump
 * table. Same semantics as the general handlers (tests/isa compares them with the host CPU). */
#include "accel/soft/alu.h"
#include "accel/soft/fast.h"
#include "accel/soft/fast-mem.h"
#include "accel/soft/ops.h"

/* ---- cmovcc (0F 40-4F) and setcc (0F 90-9F), one handler per condition so that it folds to a
 * constant. cmov reads its source whatever the condition, and a 32-bit destination is
 * zero-extended even when nothing moves (SDM vol. 2, CMOVcc). setcc_r is for a low byte register
 * (with REX, or AL-BL), the common case. ---- */

#define CC_SET(CC)                                                                                  \
    static OP(fast_cmov_rr64_##CC)                                                                    \
    {                                                                                               \
        if (cpu_cond_fast(c, CC))                                                                   \
            c->gpr[i->reg] = c->gpr[i->rm];                                                         \
    }                                                                                               \
    static OP(fast_cmov_rr32_##CC)                                                                    \
    {                                                                                               \
        c->gpr[i->reg] = (uint32_t)(cpu_cond_fast(c, CC) ? c->gpr[i->rm] : c->gpr[i->reg]);       \
    }                                                                                               \
    static OP(fast_cmov_rm64_##CC)                                                                    \
    {                                                                                               \
        uint64_t v = ld(c, i, 8);                                                                   \
        if (cpu_cond_fast(c, CC))                                                                   \
            c->gpr[i->reg] = v;                                                                     \
    }                                                                                               \
    static OP(fast_cmov_rm32_##CC)                                                                    \
    {                                                                                               \
        uint64_t v = ld(c, i, 4);                                                                   \
        c->gpr[i->reg] = (uint32_t)(cpu_cond_fast(c, CC) ? v : c->gpr[i->reg]);                    \
    }                                                                                               \
    static OP(fast_setcc_r_##CC)                                                                      \
    {                                                                                               \
        c->gpr[i->rm] = (c->gpr[i->rm] & ~0xffull) | cpu_cond_fast(c, CC);                          \
    }                                                                                               \
    static OP(fast_setcc_m_##CC) { st8(c, i, cpu_cond_fast(c, CC)); }
CC_SET(0) CC_SET(1) CC_SET(2) CC_SET(3) CC_SET(4) CC_SET(5) CC_SET(6) CC_SET(7)
CC_SET(8) CC_SET(9) CC_SET(10) CC_SET(11) CC_SET(12) CC_SET(13) CC_SET(14) CC_SET(15)

enum { CCF_CMOV_RR, CCF_CMOV_RM, CCF_SET_R, CCF_SET_M };
#define CC_ROW(CC)                                                                                  \
    { { fast_cmov_rr32_##CC, fast_cmov_rr64_##CC }, { fast_cmov_rm32_##CC, fast_cmov_rm64_##CC },           \
      { fast_setcc_r_##CC, fast_setcc_r_##CC }, { fast_setcc_m_##CC, fast_setcc_m_##CC } }
/* [condition][form][size: 32, 64] */
static const op_fn cc_fns[16][4][2] = {
    CC_ROW(0), CC_ROW(1), CC_ROW(2), CC_ROW(3), CC_ROW(4), CC_ROW(5), CC_ROW(6), CC_ROW(7),
    CC_ROW(8), CC_ROW(9), CC_ROW(10), CC_ROW(11), CC_ROW(12), CC_ROW(13), CC_ROW(14), CC_ROW(15),
};

/* ---- ALU operations split by operation: one handler per (operation, operand form, size), so no
 * handler switches on the operation at run time (an indirect jump the host mispredicts whenever
 * the operations alternate) ---- */

/* a OP b at SIZE bytes with its lazy flags (alu.h's alu_compute, op and size constant here). */
#define ALU_BODY(OPN, SIZE) r = alu_compute(c, ALU_##OPN, SIZE, a, b);

/* Register destination (rm; decode swaps reg and rm for the Gv,Ev forms) and register, immediate
 * or memory source. cmp writes nothing back. */
#define ALU_REG(NAME, OPN, SIZE, T, SRC, DST, WB)                                                   \
    static OP(NAME)                                                                                 \
    {                                                                                               \
        uint64_t b = (T)(SRC), a = (T)c->gpr[DST], r;                                               \
        ALU_BODY(OPN, SIZE)                                                                        \
        if (WB)                                                                                     \
            c->gpr[DST] = (T)r;                                                                     \
    }
/* Memory destination, in place on a TLB hit; else the general handler does all of it. */
#define ALU_MEMD(NAME, OPN, SIZE, T, SRC, WB, SLOW)                                                 \
    static OP(NAME)                                                                                 \
    {                                                                                               \
        uint8_t *p = WB ? host_rw(c, i, SIZE) : NULL;                                               \
        T av;                                                                                       \
        if (p)                                                                                      \
            memcpy(&av, p, SIZE);                                                                   \
        else if (WB) {                                                                              \
            SLOW(c, i);                                                                             \
            return;                                                                                 \
        } else                                                                                      \
            av = (T)ld(c, i, SIZE);                                                                 \
        uint64_t a = av, b = (T)(SRC), r;                                                           \
        ALU_BODY(OPN, SIZE)                                                                        \
        if (WB) {                                                                                   \
            T rv = (T)r;                                                                            \
            memcpy(p, &rv, SIZE);                                                                   \
        }                                                                                           \
    }

#define ALU_OP_SET(OPN, WB)                                                                         \
    ALU_REG(fast_##OPN##_rr32, OPN, 4, uint32_t, c->gpr[i->reg], i->rm, WB)                           \
    ALU_REG(fast_##OPN##_rr64, OPN, 8, uint64_t, c->gpr[i->reg], i->rm, WB)                           \
    ALU_REG(fast_##OPN##_ri32, OPN, 4, uint32_t, i->imm, i->rm, WB)                                   \
    ALU_REG(fast_##OPN##_ri64, OPN, 8, uint64_t, i->imm, i->rm, WB)                                   \
    ALU_REG(fast_##OPN##_rm32, OPN, 4, uint32_t, ld(c, i, 4), i->reg, WB)                             \
    ALU_REG(fast_##OPN##_rm64, OPN, 8, uint64_t, ld(c, i, 8), i->reg, WB)                             \
    ALU_MEMD(fast_##OPN##_mr32, OPN, 4, uint32_t, c->gpr[i->reg], WB, op_alu)                         \
    ALU_MEMD(fast_##OPN##_mr64, OPN, 8, uint64_t, c->gpr[i->reg], WB, op_alu)                         \
    ALU_MEMD(fast_##OPN##_mi32, OPN, 4, uint32_t, i->imm, WB, op_grp1)                                \
    ALU_MEMD(fast_##OPN##_mi64, OPN, 8, uint64_t, i->imm, WB, op_grp1)

ALU_OP_SET(ADD, 1)
ALU_OP_SET(OR, 1)
ALU_OP_SET(ADC, 1)
ALU_OP_SET(SBB, 1)
ALU_OP_SET(AND, 1)
ALU_OP_SET(SUB, 1)
ALU_OP_SET(XOR, 1)
ALU_OP_SET(CMP, 0)

enum { AF_RR, AF_RI, AF_RM, AF_MR, AF_MI };
#define ALU_ROW(OPN)                                                                                \
    { { fast_##OPN##_rr32, fast_##OPN##_rr64 }, { fast_##OPN##_ri32, fast_##OPN##_ri64 },                   \
      { fast_##OPN##_rm32, fast_##OPN##_rm64 }, { fast_##OPN##_mr32, fast_##OPN##_mr64 },                   \
      { fast_##OPN##_mi32, fast_##OPN##_mi64 } }
/* [operation, ALU_* order][form][size: 32, 64] */
static const op_fn alu_fns[8][5][2] = {
    ALU_ROW(ADD), ALU_ROW(OR), ALU_ROW(ADC), ALU_ROW(SBB),
    ALU_ROW(AND), ALU_ROW(SUB), ALU_ROW(XOR), ALU_ROW(CMP),
};

/* ---- inc and dec of a register (FF /0, /1; 40-4F in 32-bit code), one handler each ---- */

static OP(fast_inc_r64) { c->gpr[i->rm] = alu_incdec(c, 8, c->gpr[i->rm], false); }
static OP(fast_dec_r64) { c->gpr[i->rm] = alu_incdec(c, 8, c->gpr[i->rm], true); }
static OP(fast_inc_r32) { c->gpr[i->rm] = alu_incdec(c, 4, c->gpr[i->rm], false); }
static OP(fast_dec_r32) { c->gpr[i->rm] = alu_incdec(c, 4, c->gpr[i->rm], true); }
static OP(fast_inc_r32_short) { c->gpr[i->op & 7] = alu_incdec(c, 4, c->gpr[i->op & 7], false); }
static OP(fast_dec_r32_short) { c->gpr[i->op & 7] = alu_incdec(c, 4, c->gpr[i->op & 7], true); }

/* ---- jcc split by condition, so the condition folds to a constant in each ---- */

#define JCC_CC(CC)                                                                                  \
    static OP(fast_jcc64_##CC) { if (cpu_cond_fast(c, CC)) c->rip += i->imm; }                       \
    static OP(fast_jcc32_##CC) { if (cpu_cond_fast(c, CC)) c->rip = (uint32_t)(c->rip + i->imm); }
JCC_CC(0) JCC_CC(1) JCC_CC(2) JCC_CC(3) JCC_CC(4) JCC_CC(5) JCC_CC(6) JCC_CC(7)
JCC_CC(8) JCC_CC(9) JCC_CC(10) JCC_CC(11) JCC_CC(12) JCC_CC(13) JCC_CC(14) JCC_CC(15)
#define JCC_ROW(CC) { fast_jcc32_##CC, fast_jcc64_##CC }
static const op_fn jcc_fns[16][2] = {
    JCC_ROW(0), JCC_ROW(1), JCC_ROW(2), JCC_ROW(3), JCC_ROW(4), JCC_ROW(5), JCC_ROW(6), JCC_ROW(7),
    JCC_ROW(8), JCC_ROW(9), JCC_ROW(10), JCC_ROW(11), JCC_ROW(12), JCC_ROW(13), JCC_ROW(14),
    JCC_ROW(15),
};

/* The shape for the translator (jit.c), which inlines these in 64-bit code as it does for
 * fast-move.c's handlers of the same forms (the forms are defined for 64-bit code only). */
static inline void set_form(struct insn *i, unsigned code_size, enum insn_form form)
{
    if (code_size == 8)
        i->form = (uint8_t)form;
}

bool fast_alu_cc_specialize(struct insn *i, unsigned code_size)
{
    unsigned op = i->op, sz = i->opsize;
    bool reg = i->mod == 3, mem64 = !reg && code_size == 8, wide = sz == 8;
    if (op >= 0x190 && op <= 0x19f) {
        if (reg && (i->rex || i->rm < 4))   /* not AH-BH */
            i->fn = cc_fns[op & 15][CCF_SET_R][0];
        else if (mem64)
            i->fn = cc_fns[op & 15][CCF_SET_M][0];
        else
            return false;
        return true;
    }
    if (sz != 4 && sz != 8)
        return false;
    /* jcc with a 16-bit operand size (66 in 32-bit code) truncates eip: left to the general path. */
    if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
        i->fn = jcc_fns[op & 15][code_size == 8];
        set_form(i, code_size, FORM_JCC);
        return true;
    }
    if (op == 0xff && reg && ((i->modrm >> 3) & 7) < 2) {
        bool dec = (i->modrm >> 3) & 1;
        i->fn = wide ? (dec ? fast_dec_r64 : fast_inc_r64) : (dec ? fast_dec_r32 : fast_inc_r32);
        set_form(i, code_size, wide ? FORM_INCDEC64 : FORM_INCDEC32);
        return true;
    }
    if (op >= 0x40 && op <= 0x4f && code_size == 4) {   /* REX prefixes in 64-bit code */
        i->fn = op >= 0x48 ? fast_dec_r32_short : fast_inc_r32_short;
        return true;
    }
    if (op >= 0x140 && op <= 0x14f) {
        if (reg)
            i->fn = cc_fns[op & 15][CCF_CMOV_RR][wide];
        else if (mem64)
            i->fn = cc_fns[op & 15][CCF_CMOV_RM][wide];
        else
            return false;
        return true;
    }
    if (op < 0x40 && (op & 7) <= 3 && (op & 1)) {
        unsigned alu = (op >> 3) & 7;
        if (reg) {
            if (op & 2)            /* Gv,Ev: the destination is reg */
                rm_is_destination(i);
            i->fn = alu_fns[alu][AF_RR][wide];
            set_form(i, code_size, wide ? FORM_ALU_RR64 : FORM_ALU_RR32);
        } else if (mem64) {
            i->fn = alu_fns[alu][(op & 2) ? AF_RM : AF_MR][wide];
            set_form(i, code_size, (op & 2) ? (wide ? FORM_ALU_RM64 : FORM_ALU_RM32)
                                            : (wide ? FORM_ALU_MR64 : FORM_ALU_MR32));
        } else {
            return false;
        }
        return true;
    }
    if (op == 0x81 || op == 0x83) {
        unsigned alu = (i->modrm >> 3) & 7;
        if (reg) {
            i->fn = alu_fns[alu][AF_RI][wide];
            set_form(i, code_size, wide ? FORM_ALU_RI64 : FORM_ALU_RI32);
        } else if (mem64) {
            i->fn = alu_fns[alu][AF_MI][wide];
            set_form(i, code_size, wide ? FORM_ALU_MI64 : FORM_ALU_MI32);
        } else {
            return false;
        }
        return true;
    }
    return false;
}
