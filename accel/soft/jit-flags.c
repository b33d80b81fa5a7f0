/* The guest's arithmetic flags in the translator: which instructions leave them live in the host's
 * EFLAGS (the host is an x86 too, and the op is the same op at the same width), when the lazy
 * record (flags.c) an instruction would write is dead, and conditions asked of either. */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* The six arithmetic flags when they are only in the lazy record. */
static uint64_t jit_arith(struct cpu *c)
{
    return flags_arith(c);
}

/* CF when the flags are only in the lazy record (inc/dec keep it). */
static int jit_cf(struct cpu *c)
{
    return cpu_cf(c);
}

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
            return false;
    }
    return false;
}

/* The guest's flags from the lazy record into the host's EFLAGS, for a condition cc on them:
 * flags already in cpu->flags (LF_NONE) by a popf of them; for a condition on ZF, SF or PF alone
 * the record's result tested at its size (every record's SZP are its result's); else the commonest
 * records (sub/cmp and add without a carry in at 64, 32 or 8 bits, logic ops at 64 or 32) by
 * doing their operation
 * again on the recorded operands (the same op at the same width sets the same flags; a logic op's
 * AF is not the record's 0, which no condition reads); the rest through jit_arith and a popf. A
 * popf gets only the six flags and bit 1: TF, DF and AC stay clear, IF cannot change at CPL 3. The
 * record's cin, op and size bytes are compared as one dword (cin | op << 8 | size << 16). */
static void emit_record_flags(struct jctx *j, unsigned cc)
{
    struct emit *e = &j->e;
    static const struct { uint8_t op, size, hop, a, b; } kind[] = {
        { LF_SUB, 8, 0x3b, 1, 2 }, { LF_SUB, 4, 0x3b, 1, 2 },        /* cmp src1, src2 */
        { LF_SUB, 1, 0x3b, 1, 2 },
        { LF_ADD, 8, 0x03, 1, 2 }, { LF_ADD, 4, 0x03, 1, 2 },        /* add src1, src2 */
        { LF_ADD, 1, 0x03, 1, 2 },
        { LF_LOGIC, 8, 0x85, 0, 0 }, { LF_LOGIC, 4, 0x85, 0, 0 },    /* test res, res */
        { 0, 8, 0x85, 0, 0 }, { 0, 4, 0x85, 0, 0 }, { 0, 1, 0x85, 0, 0 },  /* (szp: any record) */
    };
    static const int32_t field[3] = { LF(res), LF(src1), LF(src2) };
    enum { N = sizeof(kind) / sizeof(kind[0]), NSZP = 3 };
    bool szp = cc == CC_E || cc == CC_NE || cc == CC_S || cc == CC_NS || cc == CC_P || cc == CC_NP;
    unsigned first = szp ? N - NSZP : 0, last = szp ? N : N - NSZP;
    uint8_t *to[N] = { 0 }, *done[N + 2];
    unsigned nd = 0;
    e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, LF(op));           /* movzx eax, byte [op] */
    e_op_rr(e, false, 0x85, RAX, RAX);
    uint8_t *lazy = e_jcc(e, CC_NE);
    e_load64(e, RAX, RBX, OFF(flags));
    uint8_t *popf = e_jmp(e);
    e_patch(lazy, e->p);
    if (szp)
        e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, LF(size));     /* movzx eax, byte [size] */
    else {
        e_load32(e, RAX, RBX, LF(cin));
        e_alu_ri(e, false, 4, RAX, 0xffffff);
    }
    for (unsigned n = first; n < last; n++) {
        e_alu_ri(e, false, 7, RAX, szp ? kind[n].size : (unsigned)(kind[n].op << 8 | kind[n].size << 16));
        to[n] = e_jcc(e, CC_E);
    }
    e_mov_rr(e, true, RDI, RBX);
    e_mov_imm(e, RAX, (uint64_t)(uintptr_t)jit_arith);
    e_call_reg(e, RAX);
    e_patch(popf, e->p);
    e_alu_ri(e, false, 4, RAX, F_ARITH);
    e_alu_ri(e, false, 1, RAX, 2);                                     /* or eax, 2 */
    e_push(e, RAX);
    e_byte(e, 0x9d);                                                   /* popfq */
    done[nd++] = e_jmp(e);
    for (unsigned n = first; n < last; n++) {
        bool w = kind[n].size == 8;
        unsigned b = kind[n].size == 1;                                /* the byte opcodes: - 1 */
        e_patch(to[n], e->p);
        e_op_mem(e, w, 0x8b - b, RAX, RBX, HNONE, 0, field[kind[n].a]);   /* mov rax, [a] */
        if (kind[n].hop == 0x85)
            e_op_rr(e, w, 0x85 - b, RAX, RAX);                         /* test rax, rax */
        else
            e_op_mem(e, w, kind[n].hop - b, RAX, RBX, HNONE, 0, field[kind[n].b]);  /* op rax, [b] */
        done[nd++] = e_jmp(e);
    }
    for (unsigned n = 0; n < nd; n++)
        e_patch(done[n], e->p);
}

/* A condition on the guest's flags into EFLAGS as host condition *cc: the live flags as they
 * are, else rebuilt from the lazy record (*cc unchanged either way). */
void jit_emit_cond(struct jctx *j, unsigned *cc)
{
    if (j->flags_live) {
        jit_use_live_flags(j);
        return;
    }
    emit_record_flags(j, *cc);
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

/* CF of the common records inline, as cpu_cf computes it: after sub/cmp (no borrow in) at 64, 32
 * or 8 bits the host's own cmp of the operands, after add its cmp of result and operand, after a
 * logic op 0. The record's cin, op and size bytes are read as one dword (cin | op << 8 | size << 16,
 * the fourth byte masked off). Leaves CF in the host's CF; jumps to done, or falls through (other
 * records) with nothing changed but eax and the host's flags. */
static void emit_record_cf_common(struct jctx *j, uint8_t **done, unsigned *nd)
{
    struct emit *e = &j->e;
    static const struct { uint8_t op, size; uint8_t a, b; } kind[] = {
        { LF_SUB, 8, 1, 2 }, { LF_SUB, 4, 1, 2 }, { LF_SUB, 1, 1, 2 },   /* CF = src1 < src2 */
        { LF_ADD, 8, 0, 1 }, { LF_ADD, 4, 0, 1 }, { LF_ADD, 1, 0, 1 },   /* CF = res < src1 */
    };
    static const int32_t field[3] = { LF(res), LF(src1), LF(src2) };
    enum { N = sizeof(kind) / sizeof(kind[0]) };
    uint8_t *to[N];
    e_load32(e, RAX, RBX, LF(cin));
    e_alu_ri(e, false, 4, RAX, 0xffffff);
    for (unsigned n = 0; n < N; n++) {
        e_alu_ri(e, false, 7, RAX, kind[n].op << 8 | kind[n].size << 16);
        to[n] = e_jcc(e, CC_E);
    }
    uint8_t *other = e_jmp(e);
    for (unsigned n = 0; n < N; n++) {
        bool w = kind[n].size == 8;
        unsigned b = kind[n].size == 1;                                /* the byte opcodes: - 1 */
        e_patch(to[n], e->p);
        e_op_mem(e, w, 0x8b - b, RAX, RBX, HNONE, 0, field[kind[n].a]);        /* mov rax, [a] */
        e_op_mem(e, w, 0x3b - b, RAX, RBX, HNONE, 0, field[kind[n].b]);        /* cmp rax, [b] */
        done[(*nd)++] = e_jmp(e);
    }
    e_patch(other, e->p);
}

/* The guest's CF from the lazy record (flags.c's cpu_cf): read inline where the record is
 * inc/dec's (the CF they kept, in cin), none (cpu->flags hold it), a logic op's (0) or one of
 * emit_record_cf_common's, else through jit_cf. to_cf: into the host's CF (the other five host
 * flags then mean nothing: the caller's next host instruction rewrites them, as inc/dec do); else
 * into eax, the host's flags clobbered. */
static void emit_record_cf(struct jctx *j, bool to_cf)
{
    struct emit *e = &j->e;
    uint8_t *in_cf[12];                /* LF_NONE's, the common records', the call's, logic's */
    unsigned n = 0;
    _Static_assert(LF_NONE == 0, "test eax, eax: LF_NONE");
    e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, LF(op));           /* movzx eax, byte [op] */
    e_op_rr(e, false, 0x85, RAX, RAX);                                 /* test eax, eax */
    uint8_t *lazy = e_jcc(e, CC_NE);
    e_op_mem(e, false, 0x0fba, 4, RBX, HNONE, 0, OFF(flags));         /* bt dword [flags], 0 */
    e_byte(e, 0);
    in_cf[n++] = e_jmp(e);
    e_patch(lazy, e->p);
    e_alu_ri(e, false, 7, RAX, LF_LOGIC);
    uint8_t *logic = e_jcc(e, CC_E);
    e_alu_ri(e, false, 7, RAX, LF_INC);
    uint8_t *inc = e_jcc(e, CC_E);
    e_alu_ri(e, false, 7, RAX, LF_DEC);
    uint8_t *dec = e_jcc(e, CC_E);
    emit_record_cf_common(j, in_cf, &n);
    e_mov_rr(e, true, RDI, RBX);
    e_mov_imm(e, RAX, (uint64_t)(uintptr_t)jit_cf);
    e_call_reg(e, RAX);
    e_op_rr(e, false, 0x0fba, 4, RAX);                                 /* bt eax, 0 */
    e_byte(e, 0);
    in_cf[n++] = e_jmp(e);
    e_patch(logic, e->p);
    e_op_rr(e, false, 0x31, RAX, RAX);                                 /* xor eax, eax: CF 0 */
    in_cf[n++] = e_jmp(e);
    e_patch(inc, e->p);
    e_patch(dec, e->p);
    e_op_mem(e, false, 0x0fba, 4, RBX, HNONE, 0, LF(cin));            /* bt dword [cin], 0 */
    e_byte(e, 0);
    for (unsigned m = 0; m < n; m++)
        e_patch(in_cf[m], e->p);
    if (!to_cf) {
        e_op_rr(e, false, 0x0f92, 0, RAX);                             /* setc al */
        e_op_rr(e, false, 0x0fb6, RAX, RAX);                           /* movzx eax, al */
    }
}

/* r8b <- the guest's CF: from the live flags, else from the lazy record. */
void jit_emit_cf_r8(struct jctx *j)
{
    struct emit *e = &j->e;
    if (j->flags_live) {
        jit_use_live_flags(j);
        e_op_rr(e, false, 0x0f92, 0, R8);                              /* setc r8b */
    } else {
        emit_record_cf(j, false);
        e_mov_rr(e, false, R8, RAX);
    }
}

/* The guest's CF into the host's CF: kept if the flags are live, else from the lazy record. */
void jit_emit_cf_live(struct jctx *j)
{
    if (j->flags_live)
        jit_use_live_flags(j);
    else
        emit_record_cf(j, true);
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
