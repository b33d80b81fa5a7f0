/* SSE placeholder until the isa helper's implementation: fxsave/fxrstor/ldmxcsr/stmxcsr (which a
 * kernel needs before anything else of SSE); every other form raises #UD (reported once). */
#include "accel/soft/op-sse.h"

OP(op_sse) { cpu_unimplemented(c, i); }
OP(op_sse_0f38) { cpu_unimplemented(c, i); }
OP(op_sse_0f3a) { cpu_unimplemented(c, i); }

#define MXCSR_MASK 0xffffu

/* The FXSAVE image (SDM vol. 1, table 10-2); REX.W selects the 64-bit FIP/FDP layout. */
static void fxsave(struct cpu *c, const struct insn *i, uint64_t off)
{
    uint8_t img[512];
    memset(img, 0, sizeof(img));
    const struct fpu *f = &c->fpu;
    uint16_t fsw = (uint16_t)((f->fsw & ~0x3800u) | ((f->top & 7u) << 11));
    uint8_t ftw = 0;
    for (int r = 0; r < 8; r++)
        if (((f->ftw >> (2 * r)) & 3) != 3)
            ftw |= (uint8_t)(1u << r);
    memcpy(img + 0, &f->fcw, 2);
    memcpy(img + 2, &fsw, 2);
    img[4] = ftw;
    memcpy(img + 6, &f->fop, 2);
    if (i->rex & 8) {
        memcpy(img + 8, &f->fip, 8);
        memcpy(img + 16, &f->fdp, 8);
    } else {
        memcpy(img + 8, &f->fip, 4);
        memcpy(img + 16, &f->fdp, 4);
    }
    uint32_t mask = MXCSR_MASK;
    memcpy(img + 24, &c->mxcsr, 4);
    memcpy(img + 28, &mask, 4);
    for (int k = 0; k < 8; k++)
        memcpy(img + 32 + 16 * k, f->st[(f->top + k) & 7].b, 10);
    int nx = c->code_size == 8 ? 16 : 8;
    for (int k = 0; k < nx; k++)
        memcpy(img + 160 + 16 * k, c->xmm[k].b, 16);
    mem_write_buf(c, i->seg, off, img, 512);
}

static void fxrstor(struct cpu *c, const struct insn *i, uint64_t off)
{
    uint8_t img[512];
    mem_read_buf(c, i->seg, off, img, 512);
    uint32_t mxcsr;
    memcpy(&mxcsr, img + 24, 4);
    if (mxcsr & ~MXCSR_MASK)
        cpu_raise_gp(c, 0);
    struct fpu *f = &c->fpu;
    uint16_t fsw;
    memcpy(&f->fcw, img + 0, 2);
    memcpy(&fsw, img + 2, 2);
    f->top = (fsw >> 11) & 7;
    f->fsw = fsw & ~0x3800u;
    f->ftw = 0;
    for (int r = 0; r < 8; r++)
        if (!(img[4] & (1u << r)))
            f->ftw |= (uint16_t)(3u << (2 * r));
    memcpy(&f->fop, img + 6, 2);
    f->fip = f->fdp = 0;
    memcpy(&f->fip, img + 8, (i->rex & 8) ? 8 : 4);
    memcpy(&f->fdp, img + 16, (i->rex & 8) ? 8 : 4);
    c->mxcsr = mxcsr;
    for (int k = 0; k < 8; k++) {
        union x87_reg *r = &f->st[(f->top + k) & 7];
        memset(r, 0, sizeof(*r));
        memcpy(r->b, img + 32 + 16 * k, 10);
    }
    int nx = c->code_size == 8 ? 16 : 8;
    for (int k = 0; k < nx; k++)
        memcpy(c->xmm[k].b, img + 160 + 16 * k, 16);
}

/* 0F AE /0 fxsave, /1 fxrstor, /2 ldmxcsr, /3 stmxcsr. */
OP(op_sse_grp15)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (c->cr0 & CR0_EM)
        cpu_raise_ud(c);
    if (c->cr0 & CR0_TS)
        cpu_raise(c, EXC_NM, false, 0);
    uint64_t off = insn_ea(c, i);
    switch (sub) {
    case 0: case 1:
        if (seg_linear(c, i->seg, off, 1, ACC_READ) & 15)
            cpu_raise_gp(c, 0);
        if (sub == 0)
            fxsave(c, i, off);
        else
            fxrstor(c, i, off);
        break;
    case 2: {
        if (!(c->cr4 & CR4_OSFXSR))
            cpu_raise_ud(c);
        uint32_t v = (uint32_t)mem_read(c, i->seg, off, 4);
        if (v & ~MXCSR_MASK)
            cpu_raise_gp(c, 0);
        c->mxcsr = v;
        break;
    }
    default:
        if (!(c->cr4 & CR4_OSFXSR))
            cpu_raise_ud(c);
        mem_write(c, i->seg, off, 4, c->mxcsr);
        break;
    }
}
