/* x87 placeholders: every form raises #UD (reported once) until the isa helper's implementation. */
#include "accel/soft/op-x87.h"

OP(op_x87) { cpu_unimplemented(c, i); }
OP(op_fwait) { (void)c; (void)i; }

void x87_init(struct fpu *f)
{
    memset(f, 0, sizeof(*f));
    f->fcw = 0x37f;
    f->ftw = 0xffff;
}
