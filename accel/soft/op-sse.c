/* SSE..SSE4.2 (legacy encodings): dispatch on opcode and mandatory prefix, the data moves and
 * shuffles, and fxsave/fxrstor/ldmxcsr/stmxcsr (SDM vol. 2; vol. 1 chapters 10-12). The arithmetic
 * lives in op-sse-fp.c (floating point) and op-sse-int.c (packed integers), the 0F38/0F3A maps in
 * op-sse4.c, the MMX forms (no prefix in 0F 60-7F and D0-FF) in op-sse-mmx.c. */
#include "accel/soft/op-sse.h"
#include "accel/soft/op-sse-util.h"
#include "accel/soft/op-x87-util.h"

void sse_check(struct cpu *c)
{
    if ((c->cr0 & CR0_EM) || !(c->cr4 & CR4_OSFXSR))
        cpu_raise_ud(c);
    if (c->cr0 & CR0_TS)
        cpu_raise(c, EXC_NM, false, 0);
}

uint64_t sse_ea(struct cpu *c, const struct insn *i, bool align)
{
    uint64_t ea = insn_ea(c, i);
    if (align && ((seg_linear(c, i->seg, ea, 16, ACC_READ)) & 15))
        cpu_raise_gp(c, 0);
    return ea;
}

void sse_src(struct cpu *c, const struct insn *i, union xmm_reg *v, unsigned size, bool align)
{
    union xmm_reg t;
    if (i->mod == 3) {
        *v = c->xmm[i->rm];
        return;
    }
    memset(&t, 0, sizeof(t));           /* v may be the destination: nothing changes on a fault */
    mem_read_buf(c, i->seg, sse_ea(c, i, align && size == 16), &t, size);
    *v = t;
}

void sse_store(struct cpu *c, const struct insn *i, const union xmm_reg *v, unsigned size, bool align)
{
    if (i->mod == 3)
        c->xmm[i->rm] = *v;
    else
        mem_write_buf(c, i->seg, sse_ea(c, i, align && size == 16), v, size);
}

uint32_t fp_enter(struct cpu *c)
{
    uint32_t host = host_getcsr();
    /* the host gets the arithmetic bits only: AMD's MM bit would fault on an Intel host */
    host_setcsr(((c->mxcsr & ~MXCSR_FLAGS) | MXCSR_MASKS) & MXCSR_VALID_INTEL);
    return host;
}

void fp_leave(struct cpu *c, uint32_t host_mxcsr)
{
    uint32_t raised = host_getcsr() & MXCSR_FLAGS, unmasked = ~(c->mxcsr >> 7) & MXCSR_FLAGS;
    host_setcsr(host_mxcsr);
    /* An unmasked invalid, denormal or divide-by-zero stops the instruction before it computes:
     * the overflow, underflow and precision flags of its lanes are never raised (SDM vol. 1,
     * 11.5.2). Not modelled: with overflow or underflow unmasked the hardware delivers a result
     * with a biased exponent and reports precision for that one (tests/isa/FINDINGS.md). */
    if (raised & unmasked & 0x7)
        raised &= 0x7;
    c->mxcsr |= raised;
    if (raised & unmasked)
        cpu_raise(c, (c->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, false, 0);
}

/* ---- moves and shuffles ---- */

static bool sse_move(struct cpu *c, const struct insn *i, unsigned key)
{
    union xmm_reg s, *d = &c->xmm[i->reg];
    switch (key) {
    case SSE_KEY(0x10, PFX_NP): case SSE_KEY(0x10, PFX_66):          /* movups, movupd */
    case SSE_KEY(0x6f, PFX_F3): case SSE_KEY(0xf0, PFX_F2):          /* movdqu, lddqu */
        if (key == SSE_KEY(0xf0, PFX_F2) && i->mod == 3)
            cpu_raise_ud(c);
        sse_src(c, i, d, 16, false);
        return true;
    case SSE_KEY(0x28, PFX_NP): case SSE_KEY(0x28, PFX_66): case SSE_KEY(0x6f, PFX_66):   /* movaps/pd, movdqa */
        sse_src(c, i, d, 16, true);
        return true;
    case SSE_KEY(0x11, PFX_NP): case SSE_KEY(0x11, PFX_66): case SSE_KEY(0x7f, PFX_F3):
        sse_store(c, i, d, 16, false);
        return true;
    case SSE_KEY(0x29, PFX_NP): case SSE_KEY(0x29, PFX_66): case SSE_KEY(0x7f, PFX_66):
        sse_store(c, i, d, 16, true);
        return true;
    case SSE_KEY(0x2b, PFX_NP): case SSE_KEY(0x2b, PFX_66): case SSE_KEY(0xe7, PFX_66):  /* movnt* */
        if (i->mod == 3)
            cpu_raise_ud(c);
        sse_store(c, i, d, 16, true);
        return true;
    case SSE_KEY(0x10, PFX_F3): case SSE_KEY(0x10, PFX_F2): {       /* movss, movsd: load */
        unsigned n = key == SSE_KEY(0x10, PFX_F3) ? 4 : 8;
        sse_src(c, i, &s, n, false);
        if (i->mod == 3)
            memcpy(d, &s, n);       /* register form merges */
        else
            *d = s;                 /* memory form zero-extends */
        return true;
    }
    case SSE_KEY(0x11, PFX_F3): case SSE_KEY(0x11, PFX_F2): {
        unsigned n = key == SSE_KEY(0x11, PFX_F3) ? 4 : 8;
        if (i->mod == 3)
            memcpy(&c->xmm[i->rm], d, n);
        else
            mem_write_buf(c, i->seg, insn_ea(c, i), d, n);
        return true;
    }
    case SSE_KEY(0x12, PFX_NP): case SSE_KEY(0x12, PFX_66):         /* movhlps / movlps / movlpd */
        if (i->mod == 3 && key == SSE_KEY(0x12, PFX_66))
            cpu_raise_ud(c);
        sse_src(c, i, &s, 8, false);
        d->q[0] = i->mod == 3 ? s.q[1] : s.q[0];
        return true;
    case SSE_KEY(0x16, PFX_NP): case SSE_KEY(0x16, PFX_66):         /* movlhps / movhps / movhpd */
        if (i->mod == 3 && key == SSE_KEY(0x16, PFX_66))
            cpu_raise_ud(c);
        sse_src(c, i, &s, 8, false);
        d->q[1] = s.q[0];
        return true;
    case SSE_KEY(0x13, PFX_NP): case SSE_KEY(0x13, PFX_66):         /* movlps/movlpd m64, x */
    case SSE_KEY(0x17, PFX_NP): case SSE_KEY(0x17, PFX_66):         /* movhps/movhpd m64, x */
        if (i->mod == 3)
            cpu_raise_ud(c);
        mem_write_buf(c, i->seg, insn_ea(c, i), &d->q[(i->op & 0xff) == 0x17], 8);
        return true;
    case SSE_KEY(0x12, PFX_F3): case SSE_KEY(0x16, PFX_F3): {       /* movsldup, movshdup */
        unsigned h = (i->op & 0xff) == 0x16;
        sse_src(c, i, &s, 16, true);
        d->d[0] = d->d[1] = s.d[h];
        d->d[2] = d->d[3] = s.d[2 + h];
        return true;
    }
    case SSE_KEY(0x12, PFX_F2):                                     /* movddup */
        sse_src(c, i, &s, 8, false);
        d->q[0] = d->q[1] = s.q[0];
        return true;
    case SSE_KEY(0x14, PFX_NP): case SSE_KEY(0x15, PFX_NP): {       /* unpcklps, unpckhps */
        unsigned h = (i->op & 0xff) == 0x15 ? 2 : 0;
        sse_src(c, i, &s, 16, true);
        union xmm_reg r = { .d = { d->d[h], s.d[h], d->d[h + 1], s.d[h + 1] } };
        *d = r;
        return true;
    }
    case SSE_KEY(0x14, PFX_66): case SSE_KEY(0x15, PFX_66): {       /* unpcklpd, unpckhpd */
        unsigned h = (i->op & 0xff) == 0x15;
        sse_src(c, i, &s, 16, true);
        d->q[0] = d->q[h];
        d->q[1] = s.q[h];
        return true;
    }
    case SSE_KEY(0xc6, PFX_NP): {                                   /* shufps */
        sse_src(c, i, &s, 16, true);
        unsigned m = (unsigned)i->imm;
        union xmm_reg r = { .d = { d->d[m & 3], d->d[(m >> 2) & 3], s.d[(m >> 4) & 3], s.d[(m >> 6) & 3] } };
        *d = r;
        return true;
    }
    case SSE_KEY(0xc6, PFX_66): {                                   /* shufpd */
        sse_src(c, i, &s, 16, true);
        union xmm_reg r = { .q = { d->q[i->imm & 1], s.q[(i->imm >> 1) & 1] } };
        *d = r;
        return true;
    }
    case SSE_KEY(0x50, PFX_NP): case SSE_KEY(0x50, PFX_66): {       /* movmskps, movmskpd */
        if (i->mod != 3)
            cpu_raise_ud(c);
        const union xmm_reg *x = &c->xmm[i->rm];
        uint64_t m = key == SSE_KEY(0x50, PFX_NP)
                         ? (x->d[0] >> 31) | (x->d[1] >> 31) << 1 | (x->d[2] >> 31) << 2 | (x->d[3] >> 31) << 3
                         : (x->q[0] >> 63) | (x->q[1] >> 63) << 1;
        c->gpr[i->reg] = m;
        return true;
    }
    case SSE_KEY(0x54, PFX_NP): case SSE_KEY(0x54, PFX_66):         /* and */
    case SSE_KEY(0x55, PFX_NP): case SSE_KEY(0x55, PFX_66):         /* andn */
    case SSE_KEY(0x56, PFX_NP): case SSE_KEY(0x56, PFX_66):         /* or */
    case SSE_KEY(0x57, PFX_NP): case SSE_KEY(0x57, PFX_66): {       /* xor */
        sse_src(c, i, &s, 16, true);
        for (int k = 0; k < 2; k++) {
            uint64_t a = d->q[k], b = s.q[k];
            switch (i->op & 0xff) {
            case 0x54: d->q[k] = a & b; break;
            case 0x55: d->q[k] = ~a & b; break;
            case 0x56: d->q[k] = a | b; break;
            default: d->q[k] = a ^ b; break;
            }
        }
        return true;
    }
    case SSE_KEY(0x6e, PFX_66): {                                   /* movd/movq x, Ey */
        unsigned n = (i->rex & 8) ? 8 : 4;
        union xmm_reg r = { .q = { rm_read(c, i, n), 0 } };
        *d = r;
        return true;
    }
    case SSE_KEY(0x7e, PFX_66):                                     /* movd/movq Ey, x */
        rm_write(c, i, (i->rex & 8) ? 8 : 4, (i->rex & 8) ? d->q[0] : d->d[0]);
        return true;
    case SSE_KEY(0x7e, PFX_F3):                                     /* movq x, xm64 */
        sse_src(c, i, &s, 8, false);
        d->q[0] = s.q[0];
        d->q[1] = 0;
        return true;
    case SSE_KEY(0xd6, PFX_66):                                     /* movq xm64, x */
        if (i->mod == 3) {
            c->xmm[i->rm].q[0] = d->q[0];
            c->xmm[i->rm].q[1] = 0;
        } else {
            mem_write_buf(c, i->seg, insn_ea(c, i), d, 8);
        }
        return true;
    default:
        return false;
    }
}

OP(op_sse)
{
    unsigned op = i->op & 0xff, key = SSE_KEY(op, i->pfx);
    if (op == 0x77 && i->pfx == PFX_NP) {                           /* emms: every x87 tag empty */
        if (c->cr0 & CR0_EM)
            cpu_raise_ud(c);
        if (c->cr0 & CR0_TS)
            cpu_raise(c, EXC_NM, false, 0);
        if ((c->fpu.fsw & 0x80) && (c->cr0 & CR0_NE))
            cpu_raise(c, EXC_MF, false, 0);     /* a pending x87 exception, as x87 ops do */
        c->fpu.ftw = 0xffff;
        c->fpu.top = 0;                 /* as every MMX instruction does */
        return;
    }
    if (i->pfx == PFX_NP && mmx_op(c, i))      /* MMX needs no OSFXSR */
        return;
    sse_check(c);
    if (sse_move(c, i, key) || sse_fp(c, i, key) || sse_int(c, i, key) || mmx_cvt(c, i))
        return;
    cpu_unimplemented(c, i);
}

OP(op_sse_0f38)
{
    if (!sse_0f38(c, i) && !(i->pfx == PFX_NP && mmx_op(c, i)))
        cpu_unimplemented(c, i);
}

OP(op_sse_0f3a)
{
    if (i->pfx == PFX_NP && mmx_op(c, i))
        return;
    sse_check(c);
    if (!sse_0f3a(c, i))
        cpu_unimplemented(c, i);
}

/* ---- 0F AE /0-/3: fxsave, fxrstor, ldmxcsr, stmxcsr (SDM vol. 1, 10.5.1, table 10-2) ---- */

static void fxsave(struct cpu *c, const struct insn *i)
{
    uint8_t img[512];
    const struct fpu *f = &c->fpu;
    uint16_t fsw = x87_status_word(f);
    uint8_t ftw = 0;
    uint64_t ea = sse_ea(c, i, true);
    memset(img, 0, sizeof(img));
    /* fxsave does not write bytes 416-511 (reserved, then software's): keep what is there */
    mem_read_buf(c, i->seg, ea + 416, img + 416, 96);
    for (int r = 0; r < 8; r++)
        if (((f->ftw >> (2 * r)) & 3) != 3)
            ftw |= (uint8_t)(1u << r);
    memcpy(img, &f->fcw, 2);
    memcpy(img + 2, &fsw, 2);
    img[4] = ftw;
    memcpy(img + 6, &f->fop, 2);
    if (i->rex & 8) {                   /* fxsave64: 64-bit instruction and data pointers */
        memcpy(img + 8, &f->fip, 8);
        memcpy(img + 16, &f->fdp, 8);
    } else {
        memcpy(img + 8, &f->fip, 4);
        memcpy(img + 16, &f->fdp, 4);
    }
    memcpy(img + 24, &c->mxcsr, 4);
    uint32_t mask = mxcsr_valid(c);
    memcpy(img + 28, &mask, 4);
    for (int k = 0; k < 8; k++)
        memcpy(img + 32 + 16 * k, f->st[(f->top + k) & 7].b, 10);
    memcpy(img + 160, c->xmm, 256);
    mem_write_buf(c, i->seg, ea, img, 512);
}

static void fxrstor(struct cpu *c, const struct insn *i)
{
    uint8_t img[512];
    struct fpu *f = &c->fpu;
    uint32_t mxcsr;
    uint16_t fsw;
    mem_read_buf(c, i->seg, sse_ea(c, i, true), img, 512);
    memcpy(&mxcsr, img + 24, 4);
    if (mxcsr & ~mxcsr_valid(c))
        cpu_raise_gp(c, 0);
    memcpy(&f->fcw, img, 2);
    f->fcw = x87_fcw_bits(f->fcw);
    memcpy(&fsw, img + 2, 2);
    f->top = (fsw >> 11) & 7;
    f->fsw = fsw & ~0x3800;
    memcpy(&f->fop, img + 6, 2);
    f->fip = f->fdp = 0;
    memcpy(&f->fip, img + 8, (i->rex & 8) ? 8 : 4);
    memcpy(&f->fdp, img + 16, (i->rex & 8) ? 8 : 4);
    for (int k = 0; k < 8; k++) {
        union x87_reg *r = &f->st[(f->top + k) & 7];
        memset(r, 0, sizeof(*r));
        memcpy(r->b, img + 32 + 16 * k, 10);
    }
    /* the abridged tag says empty or not; the full tag is recomputed from the contents */
    f->ftw = 0;
    for (int r = 0; r < 8; r++)
        f->ftw |= (uint16_t)((img[4] >> r & 1 ? x87_tag_of(&f->st[r]) : 3u) << (2 * r));
    c->mxcsr = mxcsr;
    memcpy(c->xmm, img + 160, 256);
}

OP(op_sse_grp15)
{
    unsigned sub = (i->modrm >> 3) & 7;
    uint64_t v;
    if (sub == 0 || sub == 1) {
        if (c->cr0 & (CR0_EM | CR0_TS))
            cpu_raise(c, (c->cr0 & CR0_EM) ? EXC_UD : EXC_NM, false, 0);
        (sub ? fxrstor : fxsave)(c, i);
        return;
    }
    sse_check(c);
    if (sub == 2) {                                                 /* ldmxcsr */
        v = mem_read(c, i->seg, insn_ea(c, i), 4);
        if (v & ~(uint64_t)mxcsr_valid(c))
            cpu_raise_gp(c, 0);
        c->mxcsr = (uint32_t)v;
    } else {                                                        /* stmxcsr */
        mem_write(c, i->seg, insn_ea(c, i), 4, c->mxcsr);
    }
}
