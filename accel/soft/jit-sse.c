/* The translator's SSE2 instructions, by opcode (FORM_NONE): the 128-bit moves (0F 10/11/28/29
 * movups/movaps and their pd twins, 66/F3 0F 6F/7F movdqa/movdqu), the bitwise 0F 54-57, the
 * packed-integer ops of 66 0F 60-6D, 74-76 and D1-FE, pshufd/pshufhw/pshuflw (0F 70), the shifts
 * by an immediate (66 0F 71-73 on a register), pmovmskb (66 0F D7), movd/movq (66 0F 6E/7E,
 * F3 0F 7E, 66 0F D6). SDM vol. 2 for each instruction; vol. 1, 11.4 (SSE2) and 11.6.2/11.6.4 for
 * the checks kept below.
 *
 * The guest's XMM registers stay in struct cpu. An operation is done by the host's own instruction
 * (every x86-64 host has SSE2, and only SSE2 is emitted): the destination is loaded into host xmm0,
 * the source is xmm1 (loaded from struct cpu) or [rdx] (the guest's memory operand through the
 * inline soft TLB, jit-mem.c), and xmm0 is stored back. The checks the handler (op-sse.c) makes
 * before anything stay guest-visible: CR0.EM or !CR4.OSFXSR (#UD), CR0.TS (#NM) and, for the
 * 16-byte aligned forms with a memory operand, a misaligned linear address (#GP) each branch to a
 * slow path that runs the handler, which raises the fault; so does a TLB miss. */
#include "accel/soft/jit-int.h"
#include "accel/soft/op-sse-util.h"

#define XMM(r) (OFF(xmm) + 16 * (int32_t)(r))
#define X0 0u                  /* host xmm0, xmm1 as ModRM.reg/rm */
#define X1 1u

enum sse_kind {
    SK_NONE,
    SK_OP,                     /* xmm_reg <- xmm_reg op xmm/m128 (imm8 too for 0F 70) */
    SK_LOAD, SK_STORE,         /* xmm_reg <- xmm/m128; xmm/m128 <- xmm_reg */
    SK_SHIFT,                  /* xmm_rm <- xmm_rm shifted by imm8 (0F 71-73) */
    SK_MASK,                   /* gpr_reg <- pmovmskb xmm_rm */
    SK_MOVD_IN, SK_MOVD_OUT,   /* 66 0F 6E / 7E: xmm <-> r/m32 or r/m64 (REX.W) */
    SK_MOVQ_IN, SK_MOVQ_OUT,   /* F3 0F 7E: xmm <- xmm/m64; 66 0F D6: xmm/m64 <- xmm */
};

struct sse_shape {
    enum sse_kind kind;
    bool align;                /* a memory operand must be 16-byte aligned */
    uint8_t pfx;               /* the host prefix byte for the operation (0: none) */
};

static const uint8_t pfx_byte[4] = { [PFX_NP] = 0, [PFX_66] = 0x66, [PFX_F3] = 0xf3, [PFX_F2] = 0xf2 };

/* The 66 0F packed-integer ops emitted as they are: all SSE2, none touching MXCSR. */
static bool int_op(unsigned op)
{
    if ((op >= 0x60 && op <= 0x6d) || (op >= 0x74 && op <= 0x76))
        return true;
    return op >= 0xd1 && op <= 0xfe && op != 0xd6 && op != 0xd7 && op != 0xe6 && op != 0xe7 &&
           op != 0xf0 && op != 0xf7;
}

/* The valid /digit of 66 0F 71-73 ib: psrl/psra/psll of words and dwords, psrlq/psllq and
 * psrldq/pslldq (the others are #UD: left to the handler). */
static bool shift_sub_ok(unsigned op, unsigned sub)
{
    if (op == 0x73)
        return sub == 2 || sub == 3 || sub == 6 || sub == 7;
    return sub == 2 || sub == 4 || sub == 6;
}

static struct sse_shape classify(const struct insn *i)
{
    struct sse_shape s = { SK_NONE, false, pfx_byte[i->pfx & 3] };
    unsigned op = i->op & 0xff, p = i->pfx;
    bool ps = p == PFX_NP || p == PFX_66, reg = i->mod == 3;
    if ((i->op & 0xff00) != 0x100 || i->lock)
        return s;
    if ((op == 0x10 || op == 0x28) && ps)
        s.kind = SK_LOAD, s.align = op == 0x28;
    else if ((op == 0x11 || op == 0x29) && ps)
        s.kind = SK_STORE, s.align = op == 0x29;
    else if (op == 0x6f && (p == PFX_66 || p == PFX_F3))
        s.kind = SK_LOAD, s.align = p == PFX_66;
    else if (op == 0x7f && (p == PFX_66 || p == PFX_F3))
        s.kind = SK_STORE, s.align = p == PFX_66;
    else if ((op >= 0x54 && op <= 0x57 && ps) || (op == 0x70 && p != PFX_NP) || (p == PFX_66 && int_op(op)))
        s.kind = SK_OP, s.align = true;
    else if (op >= 0x71 && op <= 0x73 && p == PFX_66 && reg && shift_sub_ok(op, (i->modrm >> 3) & 7))
        s.kind = SK_SHIFT;
    else if (op == 0xd7 && p == PFX_66 && reg)
        s.kind = SK_MASK;
    else if (op == 0x6e && p == PFX_66)
        s.kind = SK_MOVD_IN;
    else if (op == 0x7e && p == PFX_66)
        s.kind = SK_MOVD_OUT;
    else if (op == 0x7e && p == PFX_F3)
        s.kind = SK_MOVQ_IN;
    else if (op == 0xd6 && p == PFX_66)
        s.kind = SK_MOVQ_OUT;
    return s;
}

/* [pfx] 0F op xmm_r, [base + d]. */
static void x_mem(struct emit *e, unsigned pfx, unsigned op, unsigned x, unsigned base, int32_t d)
{
    if (pfx)
        e_byte(e, pfx);
    e_op_mem(e, false, 0x0f00 | op, x, base, HNONE, 0, d);
}

/* [pfx] 0F op reg, rm with both registers (ModRM.reg may be a /digit). */
static void x_rr(struct emit *e, unsigned pfx, unsigned op, unsigned reg, unsigned rm)
{
    if (pfx)
        e_byte(e, pfx);
    e_op_rr(e, false, 0x0f00 | op, reg, rm);
}

static void x_load(struct emit *e, unsigned x, unsigned base, int32_t d) { x_mem(e, 0xf3, 0x6f, x, base, d); }
static void x_store(struct emit *e, unsigned x, unsigned base, int32_t d) { x_mem(e, 0xf3, 0x7f, x, base, d); }

/* The slow path for the checks: #UD/#NM conditions now, and (with a memory operand) the
 * alignment; the handler raises what applies. */
static struct stub *emit_checks(struct jctx *j)
{
    struct emit *e = &j->e;
    struct stub *s = &j->stubs[j->nstubs++];
    s->k = j->k;
    s->n = 1;
    s->dirty = j->dirty;
    e_op_mem(e, false, 0xf6, 0, RBX, HNONE, 0, OFF(cr0));               /* test byte [cr0], EM|TS */
    e_byte(e, CR0_EM | CR0_TS);
    s->from[0] = e_jcc(e, CC_NE);
    e_op_mem(e, false, 0xf6, 0, RBX, HNONE, 0, OFF(cr4) + 1);           /* test byte [cr4+1], OSFXSR */
    e_byte(e, CR4_OSFXSR >> 8);
    s->from[1] = e_jcc(e, CC_E);
    s->from[2] = NULL;
    j->flags_live = false;
    return s;
}

/* rdx <- the host address of the memory operand (size bytes); an aligned form first branches to
 * the check stub when the linear address is not 16-byte aligned. */
static void emit_mem(struct jctx *j, const struct insn *i, struct stub *chk, unsigned size, bool write, bool align)
{
    jit_emit_addr(j, j->k, i, true);
    if (align) {
        e_op_rr(&j->e, false, 0xf7, 0, RSI);                            /* test esi, 15 */
        e_u32(&j->e, 15);
        chk->from[2] = e_jcc(&j->e, CC_NE);
    }
    jit_emit_tlb(j, j->k, size, write);
}

/* Guest xmm r <- rax zero-extended to 128 bits (the movd/movq loads clear the upper bits). */
static void put_q(struct jctx *j, unsigned r)
{
    e_store64(&j->e, RAX, RBX, XMM(r));
    e_store_imm64(&j->e, RBX, XMM(r) + 8, 0);
}

static void emit_body(struct jctx *j, const struct insn *i, struct sse_shape s, struct stub *chk)
{
    struct emit *e = &j->e;
    bool reg = i->mod == 3, wide = (i->rex & 8) != 0;
    unsigned op = i->op & 0xff;
    switch (s.kind) {
    case SK_OP:
        x_load(e, X0, RBX, XMM(i->reg));
        if (reg) {
            x_load(e, X1, RBX, XMM(i->rm));
            x_rr(e, s.pfx, op, X0, X1);
        } else {
            emit_mem(j, i, chk, 16, false, true);
            x_mem(e, s.pfx, op, X0, RDX, 0);
        }
        if (op == 0x70)
            e_byte(e, (uint8_t)i->imm);
        x_store(e, X0, RBX, XMM(i->reg));
        break;
    case SK_LOAD:
        if (!reg)
            emit_mem(j, i, chk, 16, false, s.align);
        x_load(e, X0, reg ? RBX : RDX, reg ? XMM(i->rm) : 0);
        x_store(e, X0, RBX, XMM(i->reg));
        break;
    case SK_STORE:
        if (!reg)
            emit_mem(j, i, chk, 16, true, s.align);
        x_load(e, X0, RBX, XMM(i->reg));
        x_store(e, X0, reg ? RBX : RDX, reg ? XMM(i->rm) : 0);
        break;
    case SK_SHIFT:
        x_load(e, X0, RBX, XMM(i->rm));
        x_rr(e, 0x66, op, (i->modrm >> 3) & 7, X0);
        e_byte(e, (uint8_t)i->imm);
        x_store(e, X0, RBX, XMM(i->rm));
        break;
    case SK_MASK:
        x_load(e, X0, RBX, XMM(i->rm));
        x_rr(e, 0x66, 0xd7, RAX, X0);                                   /* pmovmskb eax, xmm0 */
        jit_store_reg(j, RAX, i->reg);
        break;
    case SK_MOVD_IN:
        if (reg) {
            jit_load_reg(j, RAX, i->rm, wide ? 8 : 4);
        } else {
            emit_mem(j, i, chk, wide ? 8 : 4, false, false);
            e_op_mem(e, wide, 0x8b, RAX, RDX, HNONE, 0, 0);
        }
        put_q(j, i->reg);
        break;
    case SK_MOVD_OUT:
        if (!reg)
            emit_mem(j, i, chk, wide ? 8 : 4, true, false);
        e_op_mem(e, wide, 0x8b, RAX, RBX, HNONE, 0, XMM(i->reg));       /* zero-extends at 4 */
        if (reg)
            jit_store_reg(j, RAX, i->rm);
        else
            e_op_mem(e, wide, 0x89, RAX, RDX, HNONE, 0, 0);
        break;
    case SK_MOVQ_IN:
        if (!reg)
            emit_mem(j, i, chk, 8, false, false);
        e_load64(e, RAX, reg ? RBX : RDX, reg ? XMM(i->rm) : 0);
        put_q(j, i->reg);
        break;
    case SK_MOVQ_OUT:
        if (!reg)
            emit_mem(j, i, chk, 8, true, false);
        e_load64(e, RAX, RBX, XMM(i->reg));
        if (reg)
            put_q(j, i->rm);
        else
            e_store64(e, RAX, RDX, 0);
        break;
    case SK_NONE:
        break;
    }
}

bool jit_sse_op(struct jctx *j, const struct insn *i)
{
    struct sse_shape s = classify(i);
    if (s.kind == SK_NONE)
        return false;
    bool mem = i->mod != 3;
    if (mem && !jit_addr_ok(j, j->k, i))
        return false;
    /* Room for this instruction's slow paths (the checks', the TLB's) and one for each instruction
     * after it. */
    if (j->nstubs + 1 + mem + (j->tb->ninsn - j->k - 1) > sizeof(j->stubs) / sizeof(j->stubs[0]))
        return false;
    struct stub *chk = emit_checks(j);
    emit_body(j, i, s, chk);
    if (mem)
        jit_stub_done(j);
    chk->resume = j->e.p;
    chk->valid = j->valid;
    return true;
}
