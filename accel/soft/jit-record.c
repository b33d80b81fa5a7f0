/* The guest's arithmetic flags read back from the lazy record (flags.c) in translated code, when
 * they are not live in the host's EFLAGS: a condition (jcc, setcc, cmov) gets them rebuilt in
 * EFLAGS, inc/dec/adc/sbb get CF; the common records inline by redoing the recorded operation on
 * the host, the rest through flags.c in C. Which instructions leave the flags live or the record
 * dead: jit-flags.c. */
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
