/* The guest's arithmetic flags in the translator: which instructions leave them live in the host's
 * EFLAGS (the host is an x86 too, and the op is the same op at the same width), when the lazy
 * record (flags.c) an instruction would write is dead, and the records the emitters store. Flags
 * read back from the record: jit-record.c.
 *
 * A record is dead when a later instruction rewrites it before anything could read it: no
 * handler call, no fault, no way out of the block between (jit_lf_dead). At a block's end the
 * record is live, since the next block may read it, with one exception, the back edge of a loop
 * that is one block (QEMU's TCG gets the same from liveness over cc_op across a goto_tb to the
 * same block, in spirit): when the block ends in a jcc to its own start, the chain code branches
 * on EFLAGS (jit-chain.c's split), and the block's start rewrites all six flags before it reads
 * one or does anything that could fault or call out (the rules of insn_writes_flags and
 * insn_keeps_flags from instruction 0, nothing live), then on the way back to the start the last
 * writer's record is read by nobody: the next round overwrites it (or leaves it dead in turn to
 * a writer after it) before any reader, handler or fault. On every other way out of the block,
 * the jcc's other way, a failed check on the back edge's way (cpu_exec then runs something
 * else), the chain code's lookup (which may find another block at that rip), the guest's flags
 * are stored into cpu->flags, record LF_NONE, from the host's EFLAGS, saved by lahf and seto
 * before the jcc. That is the guest's six flags exactly only for a writer whose host flags are:
 * the ALU ops but adc/sbb, test and inc/dec, at 32 or 64 bits, register operands only (so no slow
 * path can cover the jcc and keep the block from splitting), with only instructions that keep
 * the live flags between it and the jcc; inc/dec put the guest's CF in the host's CF before the
 * host's inc/dec keep it (jit-record.c), and a logic op's AF, undefined on the host, is stored
 * as its record has it, 0 (jit_back_edge_writer, jit_emit_flags_save, jit_emit_flags_store). */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* The instruction being emitted left the guest's flags in EFLAGS. */
void jit_flags_now_live(struct jctx *j)
{
    j->flags_live = true;
    j->flags_stub = j->cover;          /* its own inputs came through that slow path */
}

/* The instruction being emitted reads the live flags. If they came from an instruction with a
 * slow path, after which EFLAGS mean nothing, that slow path runs every instruction up to this
 * one by its handler too and comes back after it. */
void jit_use_live_flags(struct jctx *j)
{
    if (j->flags_stub < 0)
        return;
    struct stub *st = &j->stubs[j->flags_stub];
    st->n = j->k - st->k + 1;
    j->cover = j->flags_stub;
}

/* Register-only instructions emitted inline that neither read the lazy-flags record nor can
 * fault nor call out, and leave EFLAGS alone: live flags stay live across them. setcc and cmov
 * read the flags: from EFLAGS only while they are live (live), else from the record. */
static bool insn_keeps_flags(const struct jctx *j, unsigned m, bool live)
{
    const struct insn *i = &j->tb->insn[m];
    if (i->lock)
        return false;
    switch (i->form) {
    case FORM_MOV_RR64: case FORM_MOV_RR32: case FORM_MOV_RI64: case FORM_MOV_RI32:
    case FORM_MOV_RMI64:
        return true;
    case FORM_LEA64: case FORM_LEA32:
        return jit_addr_ok(j, m, i);
    case FORM_NONE:
        break;
    default:
        return false;
    }
    unsigned op = i->op;
    bool reg = i->mod == 3, wide = i->opsize == 4 || i->opsize == 8;
    bool grp3 = (op == 0xf6 || op == 0xf7) && reg;                   /* not: jit-alu8.c */
    return (op == 0x90 && !(i->rex & 1) && i->rep != 0xf3) || op == 0x11f ||
           (op == 0x63 && reg && wide) || (grp3 && ((i->modrm >> 3) & 7) == 2) ||
           op == 0x98 || op == 0x99 || (op >= 0x1c8 && op <= 0x1cf && wide) ||
           ((op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf) && reg && wide) ||
           (live && op >= 0x190 && op <= 0x19f && reg) ||
           (live && op >= 0x140 && op <= 0x14f && reg && wide);
}

/* Register-only instructions emitted inline that rewrite the whole lazy-flags record, or all six
 * flags, without reading the record; some (inc/dec, adc/sbb, rotates) only when the flags are
 * live in EFLAGS (live). */
static bool insn_writes_flags(const struct jctx *j, unsigned m, bool live)
{
    const struct insn *i = &j->tb->insn[m];
    if (i->lock)
        return false;
    unsigned op = i->op, sz = i->opsize;
    bool no_cf = op < 0x40 && ((op >> 3) & 7) != ALU_ADC && ((op >> 3) & 7) != ALU_SBB;
    switch (i->form) {
    case FORM_ALU_RR64: case FORM_ALU_RR32:
        return live || no_cf;
    case FORM_ALU_RI64: case FORM_ALU_RI32: {
        unsigned sub = (i->modrm >> 3) & 7;
        return live || (sub != ALU_ADC && sub != ALU_SBB);
    }
    case FORM_TEST_RR64: case FORM_TEST_RR32:
        return true;
    case FORM_INCDEC64: case FORM_INCDEC32:
        return live;
    case FORM_NONE:
        break;
    default:
        return false;
    }
    bool reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if ((op | 1) == 0xc1 || (op | 1) == 0xd1 || (op | 1) == 0xd3)
        return jit_grp2_writes(i, live);
    /* bt/bts/btr/btc of a register (jit-shift.c): inline only on live flags, which then hold
     * all six (the five kept ones from the writer before), stored to cpu->flags if not dead. */
    bool bt = (op == 0x1ba && ((i->modrm >> 3) & 7) >= 4) || op == 0x1a3 || op == 0x1ab ||
              op == 0x1b3 || op == 0x1bb;
    if (bt && reg && wide)
        return live;
    /* The 8/16-bit ALU ops on registers (adc/sbb read CF: from the record unless live), test with
     * an immediate, neg of a register (jit-alu8.c). */
    unsigned sub = (i->modrm >> 3) & 7, aop = op >= 0x80 ? sub : (op >> 3) & 7;
    bool alu16 = (op == 0x81 || op == 0x83 || (op < 0x40 && ((op & 7) == 1 || (op & 7) == 3))) && sz == 2;
    if ((op == 0x80 || (op < 0x40 && ((op & 7) == 0 || (op & 7) == 2)) || alu16) && reg)
        return live || (aop != ALU_ADC && aop != ALU_SBB);
    if (op == 0xa8 || op == 0xa9 || ((op == 0xf6 || op == 0xf7) && reg && (sub <= 1 || sub == 3)))
        return true;
    return ((op == 0x1af || op == 0x6b || op == 0x69) && reg && wide) || (op == 0x84 && reg) ||
           (op < 0x40 && ((op & 7) == 4 || ((op & 7) == 5 && sz != 2)) && (live || no_cf));
}

/* The lazy-flags record instruction k would write is dead: a later instruction of the block
 * rewrites it before anything could read it (no handler call, no fault, no block end between).
 * Then k only needs to leave its flags in EFLAGS, for the jumps and the next writer. */
bool jit_lf_dead(const struct jctx *j, unsigned k, bool live_after)
{
    for (unsigned m = k + 1; m < j->tb->ninsn; m++) {
        if (insn_writes_flags(j, m, live_after))
            return true;
        if (!insn_keeps_flags(j, m, live_after))
            break;
    }
    /* The back edge's writer (jit_back_edge_writer), its flags to stay live up to the block's
     * jcc: none of its inputs may come through a slow path (the flags it reads, inc/dec's CF,
     * live from one), which would cover the jcc and keep the block from splitting. */
    return live_after && (int)k == j->back_writer && j->cover < 0 &&
           !(j->flags_live && j->flags_stub >= 0);
}

/* Register-only writers whose host flags are the guest's six (the same op at the same width):
 * the ALU ops but adc/sbb (they read CF), test, and inc/dec (CF put in the host's CF first,
 * which the host's inc/dec keep) at 32 or 64 bits. *logic: or, and, xor, test, whose record
 * says AF 0 where the host's AF is undefined. */
static bool exact_writer(const struct insn *i, bool *logic)
{
    unsigned op;
    switch (i->form) {
    case FORM_ALU_RR64: case FORM_ALU_RR32:
        op = (i->op >> 3) & 7;
        break;
    case FORM_ALU_RI64: case FORM_ALU_RI32:
        op = (i->modrm >> 3) & 7;
        break;
    case FORM_INCDEC64: case FORM_INCDEC32:
        *logic = false;
        return !i->lock;
    case FORM_TEST_RR64: case FORM_TEST_RR32:
        *logic = true;
        return true;
    default:
        return false;
    }
    *logic = op == ALU_OR || op == ALU_AND || op == ALU_XOR;
    return !i->lock && op != ALU_ADC && op != ALU_SBB;
}

/* A self-loop block ending in a jcc (the chain code splits on it: jit-chain.c) whose own start
 * rewrites all six flags before anything could read them (from instruction 0, nothing live):
 * on the back edge the lazy record of the block's last flags writer is dead, as it is before a
 * later writer inside a block. Its index, when it is an exact writer and only instructions that
 * keep the live flags follow it up to the jcc (so the host's EFLAGS at the jcc are the guest's
 * six); else -1. The chain code then saves them (jit_emit_flags_save) and stores them to
 * cpu->flags on every way out but the back edge (jit_emit_flags_store). */
int jit_back_edge_writer(const struct jctx *j, bool *logic)
{
    const struct tb *tb = j->tb;
    unsigned n = tb->ninsn, m = 0;
    *logic = false;
    if (!j->self_loop || !j->chain || n < 2 || tb->insn[n - 1].form != FORM_JCC)
        return -1;
    while (m < n - 1 && !insn_writes_flags(j, m, false))
        if (!insn_keeps_flags(j, m++, false))
            return -1;
    if (m == n - 1)
        return -1;
    int w = (int)n - 2;
    while (w >= 0 && insn_keeps_flags(j, (unsigned)w, true))
        w--;
    return w >= 0 && exact_writer(&tb->insn[w], logic) ? w : -1;
}

/* The host's EFLAGS saved without changing them: ah <- SF, ZF, AF, PF, CF (lahf), al <- OF. */
void jit_emit_flags_save(struct jctx *j)
{
    e_byte(&j->e, 0x9f);                                               /* lahf */
    e_op_rr(&j->e, false, 0x0f90, 0, RAX);                             /* seto al */
}

/* The flags in ah (SF, ZF, AF, PF, CF, as lahf leaves them) and in the low byte of of (OF: al
 * after jit_emit_flags_save, cl in jit-shift.c's bt) into cpu->flags, the lazy record LF_NONE
 * (flags.c); AF 0 for a logic op's (logic). Clobbers rdx, rsi and EFLAGS; keeps rax and rcx. */
void jit_emit_flags_store(struct jctx *j, bool logic, unsigned of)
{
    struct emit *e = &j->e;
    e_byte(e, 0x0f), e_byte(e, 0xb6), e_byte(e, 0xf4);                 /* movzx esi, ah */
    e_alu_ri(e, false, 4, RSI, (F_ARITH & 0xff) & ~(logic ? F_AF : 0));
    e_op_rr(e, false, 0x0fb6, RDX, of);                                /* movzx edx, al/cl */
    e_shift_ri(e, false, 4, RDX, 11);                                  /* OF is bit 11 */
    e_op_rr(e, false, 0x09, RDX, RSI);                                 /* or esi, edx */
    e_load64(e, RDX, RBX, OFF(flags));
    e_alu_ri(e, true, 4, RDX, ~(int32_t)F_ARITH);
    e_op_rr(e, true, 0x09, RSI, RDX);                                  /* or rdx, rsi */
    e_store64(e, RDX, RBX, OFF(flags));
    e_store_imm8(e, RBX, LF(op), LF_NONE);
}
/* A logic result in rax (test, and): the record lf_set(LF_LOGIC, size, r, r, 0) writes. */
void jit_emit_lf_logic(struct jctx *j, unsigned size)
{
    struct emit *e = &j->e;
    e_store64(e, RAX, RBX, LF(res));
    e_store64(e, RAX, RBX, LF(src1));
    e_store_imm64(e, RBX, LF(src2), 0);
    e_store_imm32(e, RBX, LF(cin), (LF_LOGIC << 8) | (size << 16));
    jit_flags_now_live(j);
}
/* AF <- 0 in the host's EFLAGS, the rest kept (pushf; and qword [rsp], ~AF; popf): what the
 * interpreter's records say for an instruction that leaves AF undefined (LF_SHIFT, LF_LOGIC), where
 * the host's own AF may be anything (an AMD host keeps it across shr/sar). */
void jit_emit_clear_af(struct jctx *j)
{
    struct emit *e = &j->e;
    e_byte(e, 0x9c);                                                   /* pushfq */
    e_byte(e, 0x48);                                                   /* and qword [rsp], ~0x10 */
    e_byte(e, 0x83);
    e_byte(e, 0x24);
    e_byte(e, 0x24);
    e_byte(e, 0xef);
    e_byte(e, 0x9d);                                                   /* popfq */
}
