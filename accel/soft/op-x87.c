/* x87 placeholder: only the control instructions boot code uses to probe for an FPU (fninit, fnstsw,
 * fnstcw, fldcw, fnclex); everything else raises #UD (reported once) until the isa helper's x87. */
#include "accel/soft/op-x87.h"

static uint16_t fsw_read(const struct fpu *f)
{
    return (uint16_t)((f->fsw & ~0x3800u) | ((f->top & 7u) << 11));
}

OP(op_x87)
{
    if (c->cr0 & (CR0_EM | CR0_TS))
        cpu_raise(c, EXC_NM, false, 0);
    unsigned sub = (i->modrm >> 3) & 7;
    if (i->op == 0xdb && i->modrm == 0xe3) {          /* fninit */
        x87_init(&c->fpu);
        return;
    }
    if (i->op == 0xdb && i->modrm == 0xe2) {          /* fnclex */
        c->fpu.fsw &= 0x7f00;
        return;
    }
    if (i->op == 0xdf && i->modrm == 0xe0) {          /* fnstsw ax */
        reg_write(c, R_RAX, 2, fsw_read(&c->fpu));
        return;
    }
    if (i->mod != 3 && i->op == 0xdd && sub == 7) {   /* fnstsw m16 */
        rm_write(c, i, 2, fsw_read(&c->fpu));
        return;
    }
    if (i->mod != 3 && i->op == 0xd9 && sub == 7) {   /* fnstcw m16 */
        rm_write(c, i, 2, c->fpu.fcw);
        return;
    }
    if (i->mod != 3 && i->op == 0xd9 && sub == 5) {   /* fldcw m16 */
        c->fpu.fcw = (uint16_t)(rm_read(c, i, 2) | 0x40);
        return;
    }
    cpu_unimplemented(c, i);
}

OP(op_fwait) { (void)c; (void)i; }

void x87_init(struct fpu *f)
{
    memset(f, 0, sizeof(*f));
    f->fcw = 0x37f;
    f->ftw = 0xffff;
}
