/* The translator's shifts and rotates of a register (group 2; SDM vol. 2, SAL/SAR/SHL/SHR and
 * ROL/ROR): shl/shr/sar by an immediate (C0/C1), by 1 (D0/D1) and by CL (D2/D3) at every width,
 * and rol/ror by an immediate at 32 and 64 bits. The guest's flags end as op-shift.c's do_shift
 * leaves them: the lazy record LF_SHIFT (flags.c; CF in src1, OF in src2, AF 0), a rotate's
 * through alu.h's flags_rotate; or, where jit_lf_dead says a later instruction rewrites them
 * first, only in EFLAGS (a 1-bit shift: exact, AF cleared) or nowhere. A masked count of 0 (CL =
 * 0) changes no flag: the record or cpu->flags are kept as they were, and a 32-bit register is
 * still zero-extended. 8- and 16-bit counts are masked to 5 bits as well, and may exceed the
 * width: the record's CF is then computed on the value widened to 32 bits, where the host's CF is
 * defined. 8- and 16-bit registers are read and written in struct cpu (AH..BH included), as
 * jit-move8.c does. */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* The form: sub (ModRM.reg: 4/6 shl, 5 shr, 7 sar, 0 rol, 1 ror), size, and the masked count n
 * (by_cl: the count is CL, not known now). */
struct sh {
    unsigned sub, size, bits, n;
    bool by_cl;
};

static bool sh_of(const struct insn *i, struct sh *s)
{
    unsigned op = i->op, sz = (op & 1) ? i->opsize : 1;
    if (i->lock || i->mod != 3)
        return false;
    s->sub = (i->modrm >> 3) & 7;
    s->sub = s->sub == 6 ? 4 : s->sub;
    s->size = sz;
    s->bits = 8 * sz;
    s->by_cl = (op | 1) == 0xd3;
    s->n = (op | 1) == 0xd1 ? 1 : (op | 1) == 0xc1 ? (unsigned)i->imm & (sz == 8 ? 63 : 31) : 0;
    if ((op | 1) != 0xc1 && (op | 1) != 0xd1 && (op | 1) != 0xd3)
        return false;
    if (s->sub == 4 || s->sub == 5 || s->sub == 7)
        return s->by_cl || s->n != 0;
    return s->sub <= 1 && op == 0xc1 && sz >= 4 && s->n != 0;   /* rol/ror by an immediate */
}

/* Translated with a nonzero count, rewriting the whole record (or, live, all six flags in EFLAGS)
 * without reading it: jit-flags.c's insn_writes_flags. Rotates only with the flags live. */
bool jit_grp2_writes(const struct insn *i, bool live)
{
    struct sh s;
    if (!sh_of(i, &s) || s.by_cl)
        return false;
    return s.sub >= 4 || live;
}

/* The host's own operation at the guest's width on rax (al, ax: the byte opcodes, the
 * operand-size prefix), by the immediate count, or by CL. */
static void host_op(struct emit *e, const struct sh *s, unsigned sub)
{
    unsigned byte = s->size == 1;
    if (s->size == 2)
        e_byte(e, 0x66);
    e_op_rr(e, s->size == 8, (s->by_cl ? 0xd3 : 0xc1) - byte, sub, RAX);
    if (!s->by_cl)
        e_byte(e, s->n);
}

/* eax <- the operand: at 32/64 bits the register (zero-extended), at 8/16 bits zero- or
 * sign-extended (sx) from struct cpu, where a byte register AH..BH lies (spilled before this
 * opcode-emitted instruction: jit-regs.c). */
static void load_val(struct jctx *j, const struct insn *i, const struct sh *s, bool sx)
{
    if (s->size >= 4) {
        jit_load_reg(j, RAX, i->rm, s->size);
        return;
    }
    static const unsigned ext[2][2] = { { 0x0fb6, 0x0fbe }, { 0x0fb7, 0x0fbf } };
    int32_t at = s->size == 1 ? jit_reg8_off(i, i->rm) : GPR(i->rm);
    e_op_mem(&j->e, false, ext[s->size - 1][sx], RAX, RBX, HNONE, 0, at);   /* movzx/movsx */
}

/* The register <- rax (jit-regs.c's jit_store_reg_sz). */
static void store_val(struct jctx *j, const struct insn *i, const struct sh *s)
{
    jit_store_reg_sz(j, i, RAX, i->rm, s->size);
}

/* The record is dead: the result only. The flags stay live only where the host's are the
 * guest's: a shift by 1 (AF cleared). */
static void emit_dead(struct jctx *j, const struct insn *i, const struct sh *s, bool live)
{
    load_val(j, i, s, false);
    if (s->by_cl)
        jit_load_reg(j, RCX, R_RCX, 4);
    host_op(&j->e, s, s->sub);
    store_val(j, i, s);
    if (live) {
        jit_emit_clear_af(j);
        jit_flags_now_live(j);
    } else {
        j->flags_live = false;
    }
}

/* rax <- the shifted value, [src1] <- CF. At 32/64 bits the host's shift of the value; at 8/16
 * bits one at 32 bits of the value widened (shl: in the upper bits), whose CF is do_shift's for
 * every count up to 31, then the result masked to the width. */
static void shift_cf(struct emit *e, const struct sh *s)
{
    bool narrow = s->size < 4, w = s->size == 8;
    uint8_t up = (uint8_t)(32 - s->bits);
    e_store_imm64(e, RBX, LF(src1), 0);
    if (narrow && s->sub == 4)
        e_shift_ri(e, false, 4, RAX, up);                              /* shl eax, 32 - bits */
    if (s->by_cl)
        e_op_rr(e, w, 0xd3, s->sub, RAX);
    else
        e_shift_ri(e, w, s->sub, RAX, (uint8_t)s->n);
    e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(src1));            /* setc [src1] */
    if (narrow && s->sub == 4)
        e_shift_ri(e, false, 5, RAX, up);                              /* shr eax, 32 - bits */
    else if (narrow && s->sub == 7)
        e_op_rr(e, false, s->size == 1 ? 0x0fb6 : 0x0fb7, RAX, RAX);   /* movzx eax, al/ax */
}

/* The record do_shift writes (LF_SHIFT: OF of shl = new sign ^ CF, of shr = the old sign, of sar
 * 0), and the register; by CL, a branch around all of it for a count of 0. (Live flags are in the
 * record or cpu->flags too: the instruction that left them found its record not dead, as this
 * one rewrites it only for a nonzero count: jit_grp2_writes.) */
static void emit_record(struct jctx *j, const struct insn *i, const struct sh *s)
{
    struct emit *e = &j->e;
    bool narrow = s->size < 4, w = s->size == 8;
    uint8_t *zero = NULL, *done = NULL;
    if (!narrow)
        load_val(j, i, s, false);
    if (s->by_cl) {
        jit_load_reg(j, RCX, R_RCX, 4);
        e_alu_ri(e, false, 4, RCX, w ? 63 : 31);                       /* and ecx, mask */
        zero = e_jcc(e, CC_E);
    }
    if (narrow)
        load_val(j, i, s, s->sub == 7);
    if (s->sub == 5) {                                                 /* OF: the old sign bit */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(s->bits - 1));
        e_store64(e, RDX, RBX, LF(src2));
    } else if (s->sub == 7) {
        e_store_imm64(e, RBX, LF(src2), 0);
    }
    shift_cf(e, s);
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm32(e, RBX, LF(cin), (LF_SHIFT << 8) | (s->size << 16));
    if (s->sub == 4) {                                                 /* OF: new sign bit ^ CF */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(s->bits - 1));
        e_op_mem(e, false, 0x33, RDX, RBX, HNONE, 0, LF(src1));        /* xor edx, [src1] */
        e_store64(e, RDX, RBX, LF(src2));
    }
    store_val(j, i, s);
    if (s->by_cl) {
        done = e_jmp(e);
        e_patch(zero, e->p);
        if (s->size == 4)
            jit_store_reg(j, RAX, i->rm);  /* a 32-bit register is zero-extended even so */
        e_patch(done, e->p);
    }
    j->flags_live = false;
    if (!narrow && !s->by_cl && s->n == 1 && s->sub != 4) {
        jit_emit_clear_af(j);              /* a 1-bit shr/sar: the host's flags are the guest's */
        jit_flags_now_live(j);
    }
}

/* A rotate's flags from its result r (how: ror in bit 0, the size above it), as do_shift gives
 * them: rol CF = bit 0, OF = sign ^ CF; ror CF = sign, OF = sign ^ the bit below it; SF, ZF, AF
 * and PF kept by flags_rotate (the record stays lazy). Called from the translated code. */
static void jit_rot_flags(struct cpu *c, uint64_t r, unsigned how)
{
    unsigned size = how >> 1;
    bool sign = (r & sign_bit(size)) != 0;
    if (how & 1)
        flags_rotate(c, sign, sign != (((r >> (8 * size - 2)) & 1) != 0));
    else
        flags_rotate(c, r & 1, sign != (r & 1));
}

/* Rotates by an immediate (C1 /0 /1). With the flags live they keep SF, ZF, AF and PF in EFLAGS,
 * so all six are written back to cpu->flags (materialized) unless dead; without, the host's rotate
 * and, unless the record is dead, jit_rot_flags on the result. */
static void emit_rotate(struct jctx *j, const struct insn *i, const struct sh *s)
{
    struct emit *e = &j->e;
    bool live = j->flags_live;
    if (live)
        jit_use_live_flags(j);
    jit_load_reg(j, RAX, i->rm, s->size);
    host_op(e, s, s->sub);
    jit_store_reg(j, RAX, i->rm);
    if (!live) {
        if (!jit_lf_dead(j, j->k, false)) {
            e_mov_rr(e, true, RDI, RBX);
            e_mov_rr(e, true, RSI, RAX);
            e_mov_imm(e, RDX, s->sub | (s->size << 1));
            e_mov_imm(e, RAX, (uint64_t)(uintptr_t)jit_rot_flags);
            e_call_reg(e, RAX);
        }
        return;
    }
    if (jit_lf_dead(j, j->k, s->n == 1)) {
        /* The next writer replaces all six flags: they only need to stay in EFLAGS, which the
         * rotate changed as the guest's would (CF, OF; the rest kept). */
        if (s->n == 1)
            jit_flags_now_live(j);
        else
            j->flags_live = false;
        return;
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
}

/* By opcode: C0..D3 of a register (the forms sh_of takes). */
bool jit_grp2(struct jctx *j, const struct insn *i)
{
    struct sh s;
    if (!sh_of(i, &s))
        return false;
    if (s.sub <= 1) {
        emit_rotate(j, i, &s);
        return true;
    }
    bool one = !s.by_cl && s.n == 1;
    if (jit_lf_dead(j, j->k, one))
        emit_dead(j, i, &s, one);
    else
        emit_record(j, i, &s);
    return true;
}
