/* The translator's one-operand read-modify-write forms on memory, by opcode (FORM_NONE): inc/dec
 * (FE /0 /1, FF /0 /1) and not/neg (F6 /2 /3, F7 /2 /3) at 8, 16, 32 and 64 bits, in place on the
 * TLB's host address (jit-mem.c), the lazy record (flags.c) stored as the handlers store it
 * (SDM vol. 2, INC, DEC, NOT, NEG). LOCK forms are left to jit-lock.c or the handler. */
#include "accel/soft/jit-int.h"

/* Operand-size prefix for a 16-bit host instruction. */
static void p16(struct emit *e, unsigned sz)
{
    if (sz == 2)
        e_byte(e, 0x66);
}

/* reg <- [rdx] zero-extended to 64 bits. */
static void load_zx(struct emit *e, unsigned reg, unsigned sz)
{
    if (sz <= 2)
        e_op_mem(e, false, sz == 1 ? 0x0fb6 : 0x0fb7, reg, RDX, HNONE, 0, 0);
    else
        e_op_mem(e, sz == 8, 0x8b, reg, RDX, HNONE, 0, 0);
}

/* [rdx] <- the low sz bytes of reg. */
static void store_sz(struct emit *e, unsigned reg, unsigned sz)
{
    p16(e, sz);
    e_op_mem(e, sz == 8, sz == 1 ? 0x88 : 0x89, reg, RDX, HNONE, 0, 0);
}

/* A group 3/4/5 op (F6/F7 or FE/FF, /digit) on reg at size sz. */
static void unary_rr(struct emit *e, unsigned op, unsigned digit, unsigned reg, unsigned sz)
{
    p16(e, sz);
    e_op_rr(e, sz == 8, sz == 1 ? op : op | 1, digit, reg);
}

/* inc/dec [mem]: CF is kept, so the record's cin is the CF from before (r8), as alu_incdec has
 * it: res and src1 masked to the size, src2 1. */
static bool emit_incdec_mem(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    bool dec = (i->modrm >> 3) & 1;
    /* Live flags left by an instruction with a slow path would stretch that path over this one,
     * whose own slow path then also resumes after it with EFLAGS meaning nothing: the next reader
     * could not be covered by both (inc [mem] three times lost CF). The record holds them too. */
    if (j->flags_stub >= 0)
        j->flags_live = false;
    if (jit_lf_dead(j, j->k, false)) {
        /* All six flags are rewritten before anything reads one, even the CF inc/dec keep. */
        jit_emit_mem_operand(j, j->k, i, sz, true);
        p16(e, sz);
        e_op_mem(e, sz == 8, sz == 1 ? 0xfe : 0xff, dec ? 1 : 0, RDX, HNONE, 0, 0);  /* inc [rdx] */
        j->flags_live = false;
        jit_stub_done(j);
        return true;
    }
    jit_emit_cf_r8(j);
    jit_emit_mem_operand(j, j->k, i, sz, true);
    load_zx(e, RAX, sz);
    e_store64(e, RAX, RBX, LF(src1));
    e_store_imm64(e, RBX, LF(src2), 1);
    e_op_mem(e, false, 0x88, R8, RBX, HNONE, 0, LF(cin));             /* mov [cin], r8b */
    e_op_rr(e, false, 0x0fba, 4, R8);                                  /* bt r8d, 0: CF */
    e_byte(e, 0);
    unary_rr(e, 0xfe, dec ? 1 : 0, RAX, sz);                           /* inc/dec al..rax */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
    e_store_imm8(e, RBX, LF(size), (uint8_t)sz);
    store_sz(e, RAX, sz);
    jit_flags_now_live(j);              /* the guest's CF put back before the host's inc/dec */
    jit_stub_done(j);
    return true;
}

/* not [mem]: no flags; the host's not in place. */
static bool emit_not_mem(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    jit_emit_mem_operand(j, j->k, i, sz, true);
    p16(e, sz);
    e_op_mem(e, sz == 8, sz == 1 ? 0xf6 : 0xf7, 2, RDX, HNONE, 0, 0);  /* not [rdx] */
    jit_stub_done(j);
    return true;
}

/* The lazy record of neg of rcx (the old value, zero-extended) unless dead: alu_op(SUB, size, 0,
 * old)'s, src1 0, src2 old, res 0 - old in 64 bits, cin 0. Clobbers rax. */
void jit_emit_neg_record(struct jctx *j, unsigned sz)
{
    struct emit *e = &j->e;
    if (jit_lf_dead(j, j->k, true))
        return;
    e_store_imm64(e, RBX, LF(src1), 0);
    e_store64(e, RCX, RBX, LF(src2));
    e_mov_rr(e, true, RAX, RCX);
    e_op_rr(e, true, 0xf7, 3, RAX);                                    /* neg rax */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm32(e, RBX, LF(cin), (LF_SUB << 8) | (sz << 16));        /* cin 0, op, size */
}

/* neg [mem]: the record alu_op(SUB, size, 0, old) stores: src1 0, src2 old (masked), res 0 - old
 * in 64 bits (not masked), cin 0; the flags from the host's neg at the size. */
static bool emit_neg_mem(struct jctx *j, const struct insn *i, unsigned sz)
{
    struct emit *e = &j->e;
    jit_emit_mem_operand(j, j->k, i, sz, true);
    load_zx(e, RCX, sz);
    jit_emit_neg_record(j, sz);
    unary_rr(e, 0xf6, 3, RCX, sz);                                     /* neg cl..rcx */
    store_sz(e, RCX, sz);
    jit_flags_now_live(j);
    jit_stub_done(j);
    return true;
}

bool jit_unary_op(struct jctx *j, const struct insn *i)
{
    unsigned op = i->op, sub = (i->modrm >> 3) & 7;
    if (i->lock || i->mod == 3 || !jit_addr_ok(j, j->k, i))
        return false;
    unsigned sz = (op & 1) ? i->opsize : 1;
    if ((op == 0xfe || op == 0xff) && sub < 2)
        return emit_incdec_mem(j, i, sz);
    if ((op == 0xf6 || op == 0xf7) && sub == 2)
        return emit_not_mem(j, i, sz);
    if ((op == 0xf6 || op == 0xf7) && sub == 3)
        return emit_neg_mem(j, i, sz);
    return false;
}
