/* The translator's rep movs and rep stos (bytes to qwords, DF = 0 and DF = 1) in 64-bit code with
 * 64-bit addresses: the host's own rep movs/stos over spans that stay inside one page on each
 * side, both pages resolved through the inline soft TLB (SDM vol. 2, REP, MOVS, STOS; vol. 1,
 * 7.3.9). After each span the guest's rcx, rsi and rdi are written back, so whatever stops the
 * next span (a TLB miss: an unmapped page and its #PF, MMIO, a page holding translated code, an
 * element across a page boundary; or MAX_SPANS spans done) leaves exact guest state, and the
 * handler (op-string.c) carries on from there: it takes the fault, runs the rest and gives way to
 * interrupts as it always does. Address-size overrides, FS/GS sources: the handler. */
#include "accel/soft/jit-int.h"

/* Spans run inline before the handler takes over a long rep (which then yields to interrupts
 * every REP_CHECK page runs): 64 KiB at most between two looks at pending work. */
#define MAX_SPANS 16

/* The jumps of this instruction that end in its one slow path. */
struct misses {
    uint8_t *at[16];
    unsigned n;
};

/* rsi = a linear address; rdx <- its host address for an element of size bytes through the
 * TLB (its misses collected in m, jit_emit_tlb's stub given back for the shared one). */
static void probe(struct jctx *j, struct misses *m, unsigned size, bool write)
{
    jit_emit_tlb(j, j->k, size, write);
    struct stub *s = &j->stubs[--j->nstubs];
    for (unsigned x = 0; x < 3; x++)
        if (s->from[x])
            m->at[m->n++] = s->from[x];
}

/* r10 <- min(r10, elements of size 2^sh from rsi to the end (back: the start) of its page). */
static void clip_span(struct emit *e, unsigned sh, bool back)
{
    e_mov_rr(e, false, RAX, RSI);
    e_alu_ri(e, false, 4, RAX, 0xfff);                                 /* and eax, 0xfff */
    if (back) {
        e_shift_ri(e, false, 5, RAX, (uint8_t)sh);                     /* shr eax, sh */
        e_alu_ri(e, false, 0, RAX, 1);                                 /* add eax, 1 */
    } else {
        e_op_rr(e, false, 0xf7, 3, RAX);                               /* neg eax */
        e_alu_ri(e, false, 0, RAX, 4096);                              /* add eax, 4096 */
        e_shift_ri(e, false, 5, RAX, (uint8_t)sh);                     /* shr eax, sh */
    }
    e_op_rr(e, true, 0x39, RAX, R10);                                  /* cmp r10, rax */
    e_op_rr(e, true, 0x0f47, R10, RAX);                                /* cmova r10, rax */
}

/* One span in one direction: r8 = the count (nonzero). Falls through with rcx/rsi/rdi written
 * back; the caller loops. */
static void emit_span(struct jctx *j, struct misses *m, bool movs, unsigned size, unsigned sh,
                      bool back)
{
    struct emit *e = &j->e;
    e_mov_rr(e, true, R10, R8);
    jit_load_reg(j, RSI, R_RDI, 8);
    probe(j, m, size, true);
    clip_span(e, sh, back);
    e_mov_rr(e, true, R9, RDX);                                        /* host destination */
    if (movs) {
        jit_load_reg(j, RSI, R_RSI, 8);
        probe(j, m, size, false);
        clip_span(e, sh, back);
        e_mov_rr(e, true, RSI, RDX);
    } else {
        jit_load_reg(j, RAX, R_RAX, 8);
    }
    e_mov_rr(e, true, RDI, R9);
    e_mov_rr(e, true, RCX, R10);
    if (back)
        e_byte(e, 0xfd);                                               /* std */
    if (size == 2)
        e_byte(e, 0x66);
    e_byte(e, 0xf3);
    if (size == 8)
        e_byte(e, 0x48);
    e_byte(e, (movs ? 0xa4 : 0xaa) | (size > 1));                      /* rep movs/stos */
    if (back)
        e_byte(e, 0xfc);                                               /* cld */
    e_op_mem(e, true, 0x29, R10, RBX, HNONE, 0, GPR(R_RCX));           /* sub [rcx], r10 */
    e_shift_ri(e, true, 4, R10, (uint8_t)sh);                          /* bytes */
    if (back)
        e_op_rr(e, true, 0xf7, 3, R10);                                /* neg r10 */
    e_op_mem(e, true, 0x01, R10, RBX, HNONE, 0, GPR(R_RDI));           /* add [rdi], r10 */
    if (movs)
        e_op_mem(e, true, 0x01, R10, RBX, HNONE, 0, GPR(R_RSI));       /* add [rsi], r10 */
}

/* rep movs/stos, by opcode (A4, A5, AA, AB with F3 or F2: both repeat movs and stos). */
bool jit_string_op(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned op = i->op;
    bool movs = op == 0xa4 || op == 0xa5;
    if (!movs && op != 0xaa && op != 0xab)
        return false;
    if (!i->rep || i->lock || i->addrsize != 8 || (movs && (i->seg == SEG_FS || i->seg == SEG_GS)))
        return false;
    unsigned size = (op & 1) ? i->opsize : 1, sh = size == 8 ? 3 : size == 4 ? 2 : size == 2;
    struct misses m = { .n = 0 };
    jit_clobber(j, R_RCX);        /* each span writes them in struct cpu: read them from there */
    jit_clobber(j, R_RDI);
    jit_clobber(j, R_RSI);
    e_mov_imm(e, R11, MAX_SPANS);
    uint8_t *top = e->p;
    jit_load_reg(j, R8, R_RCX, 8);
    e_op_rr(e, true, 0x85, R8, R8);                                    /* test r8, r8 */
    uint8_t *done = e_jcc(e, CC_E);
    e_op_rr(e, false, 0xff, 1, R11);                                   /* dec r11d */
    m.at[m.n++] = e_jcc(e, CC_L);                                      /* spans spent: handler */
    e_op_mem(e, false, 0xf7, 0, RBX, HNONE, 0, OFF(flags));           /* test dword [flags], DF */
    e_u32(e, F_DF);
    uint8_t *back = e_jcc(e, CC_NE);
    emit_span(j, &m, movs, size, sh, false);
    e_patch(e_jmp(e), top);
    e_patch(back, e->p);
    emit_span(j, &m, movs, size, sh, true);
    e_patch(e_jmp(e), top);

    /* The one slow path: the handler for this instruction from the registers as they stand. */
    uint8_t *slow = e->p;
    for (unsigned x = 0; x < m.n; x++)
        e_patch(m.at[x], slow);
    struct stub *s = &j->stubs[j->nstubs++];
    *s = (struct stub){ .from = { e_jmp(e), NULL, NULL }, .k = j->k, .n = 1, .dirty = j->dirty };
    e_patch(done, e->p);
    j->flags_live = false;
    jit_stub_done(j);
    return true;
}
