/* x87 instruction forms (SDM vol. 2, appendix A.4: escape opcodes D8-DF), and the index over all
 * three form tables. */
#include "tests/isa/isa.h"

#define XM(n, o, x, ms, e) \
    { .name = n, .op = o, .ext = x, .enc = E_MODRM | E_MEM | (e), .cls = CLS_X87, .memsize = ms }
#define XMF(n, o, x, ms, fx) \
    { .name = n, .op = o, .ext = x, .enc = E_MODRM | E_MEM, .cls = CLS_X87, .memsize = ms, .fix = fx }
#define XR(n, o, x) { .name = n, .op = o, .ext = x, .enc = E_MODRM | E_REG, .cls = CLS_X87 }
#define XF(n, o, md, e) { .name = n, .op = o, .ext = -1, .enc = E_MODRM | E_FIXED | (e), .modrm = md, .cls = CLS_X87 }
#define FP E_FPMEM
/* Transcendentals are compared bit for bit too: the software CPU runs them on the host's x87 unit.
 * (E_LOOSE, within 2 ulp, is there for a software CPU that computes them itself.) */
#define LOOSE 0

#define ARITH_M(o, ms, e, t)                                                                     \
    XM("fadd" t, o, 0, ms, e), XM("fmul" t, o, 1, ms, e), XM("fcom" t, o, 2, ms, e),             \
    XM("fcomp" t, o, 3, ms, e), XM("fsub" t, o, 4, ms, e), XM("fsubr" t, o, 5, ms, e),           \
    XM("fdiv" t, o, 6, ms, e), XM("fdivr" t, o, 7, ms, e)
#define IARITH_M(o, ms, t)                                                                       \
    XM("fiadd" t, o, 0, ms, 0), XM("fimul" t, o, 1, ms, 0), XM("ficom" t, o, 2, ms, 0),          \
    XM("ficomp" t, o, 3, ms, 0), XM("fisub" t, o, 4, ms, 0), XM("fisubr" t, o, 5, ms, 0),        \
    XM("fidiv" t, o, 6, ms, 0), XM("fidivr" t, o, 7, ms, 0)

const struct isa_form isa_x87_forms[] = {
    ARITH_M(0xd8, 4, FP, " m32fp"),
    ARITH_M(0xdc, 8, FP, " m64fp"),
    IARITH_M(0xda, 4, " m32int"),
    IARITH_M(0xde, 2, " m16int"),
    XM("fld m32fp", 0xd9, 0, 4, FP), XM("fst m32fp", 0xd9, 2, 4, 0), XM("fstp m32fp", 0xd9, 3, 4, 0),
    XMF("fldenv m28", 0xd9, 4, 28, FX_FLDENV), XMF("fldcw m16", 0xd9, 5, 2, FX_FLDCW),
    XMF("fnstenv m28", 0xd9, 6, 28, FX_FNSTENV), XM("fnstcw m16", 0xd9, 7, 2, 0),
    XM("fild m32int", 0xdb, 0, 4, 0), XM("fisttp m32int", 0xdb, 1, 4, 0),
    XM("fist m32int", 0xdb, 2, 4, 0), XM("fistp m32int", 0xdb, 3, 4, 0),
    XM("fld m80fp", 0xdb, 5, 10, FP), XM("fstp m80fp", 0xdb, 7, 10, 0),
    XM("fld m64fp", 0xdd, 0, 8, FP), XM("fisttp m64int", 0xdd, 1, 8, 0),
    XM("fst m64fp", 0xdd, 2, 8, 0), XM("fstp m64fp", 0xdd, 3, 8, 0), XM("fnstsw m16", 0xdd, 7, 2, 0),
    XM("fild m16int", 0xdf, 0, 2, 0), XM("fisttp m16int", 0xdf, 1, 2, 0),
    XM("fist m16int", 0xdf, 2, 2, 0), XM("fistp m16int", 0xdf, 3, 2, 0),
    XM("fild m64int", 0xdf, 5, 8, 0), XM("fistp m64int", 0xdf, 7, 8, 0),
    XMF("fbld m80bcd", 0xdf, 4, 10, FX_BCD), XM("fbstp m80bcd", 0xdf, 6, 10, 0),
    XMF("fnsave m108", 0xdd, 6, 108, FX_FNSTENV), XMF("frstor m108", 0xdd, 4, 108, FX_FLDENV),

    XR("fadd st,st(i)", 0xd8, 0), XR("fmul st,st(i)", 0xd8, 1), XR("fcom st(i)", 0xd8, 2),
    XR("fcomp st(i)", 0xd8, 3), XR("fsub st,st(i)", 0xd8, 4), XR("fsubr st,st(i)", 0xd8, 5),
    XR("fdiv st,st(i)", 0xd8, 6), XR("fdivr st,st(i)", 0xd8, 7),
    XR("fadd st(i),st", 0xdc, 0), XR("fmul st(i),st", 0xdc, 1), XR("fsubr st(i),st", 0xdc, 4),
    XR("fsub st(i),st", 0xdc, 5), XR("fdivr st(i),st", 0xdc, 6), XR("fdiv st(i),st", 0xdc, 7),
    XR("faddp st(i),st", 0xde, 0), XR("fmulp st(i),st", 0xde, 1), XR("fsubrp st(i),st", 0xde, 4),
    XR("fsubp st(i),st", 0xde, 5), XR("fdivrp st(i),st", 0xde, 6), XR("fdivp st(i),st", 0xde, 7),
    XF("fcompp", 0xde, 0xd9, 0),
    XR("fld st(i)", 0xd9, 0), XR("fxch st(i)", 0xd9, 1),
    XF("fnop", 0xd9, 0xd0, 0), XF("fchs", 0xd9, 0xe0, 0), XF("fabs", 0xd9, 0xe1, 0),
    XF("ftst", 0xd9, 0xe4, 0), XF("fxam", 0xd9, 0xe5, 0), XF("fld1", 0xd9, 0xe8, 0),
    XF("fldl2t", 0xd9, 0xe9, 0), XF("fldl2e", 0xd9, 0xea, 0), XF("fldpi", 0xd9, 0xeb, 0),
    XF("fldlg2", 0xd9, 0xec, 0), XF("fldln2", 0xd9, 0xed, 0), XF("fldz", 0xd9, 0xee, 0),
    XF("f2xm1", 0xd9, 0xf0, LOOSE), XF("fyl2x", 0xd9, 0xf1, LOOSE), XF("fptan", 0xd9, 0xf2, LOOSE),
    XF("fpatan", 0xd9, 0xf3, LOOSE), XF("fxtract", 0xd9, 0xf4, 0), XF("fprem1", 0xd9, 0xf5, 0),
    XF("fdecstp", 0xd9, 0xf6, 0), XF("fincstp", 0xd9, 0xf7, 0), XF("fprem", 0xd9, 0xf8, 0),
    XF("fyl2xp1", 0xd9, 0xf9, LOOSE), XF("fsqrt", 0xd9, 0xfa, 0), XF("fsincos", 0xd9, 0xfb, LOOSE),
    XF("frndint", 0xd9, 0xfc, 0), XF("fscale", 0xd9, 0xfd, 0), XF("fsin", 0xd9, 0xfe, LOOSE),
    XF("fcos", 0xd9, 0xff, LOOSE),
    XR("fcmovb st,st(i)", 0xda, 0), XR("fcmove st,st(i)", 0xda, 1), XR("fcmovbe st,st(i)", 0xda, 2),
    XR("fcmovu st,st(i)", 0xda, 3), XF("fucompp", 0xda, 0xe9, 0),
    XR("fcmovnb st,st(i)", 0xdb, 0), XR("fcmovne st,st(i)", 0xdb, 1), XR("fcmovnbe st,st(i)", 0xdb, 2),
    XR("fcmovnu st,st(i)", 0xdb, 3), XF("fnclex", 0xdb, 0xe2, 0), XF("fninit", 0xdb, 0xe3, 0),
    XR("fucomi st,st(i)", 0xdb, 5), XR("fcomi st,st(i)", 0xdb, 6),
    XR("ffree st(i)", 0xdd, 0), XR("fst st(i)", 0xdd, 2), XR("fstp st(i)", 0xdd, 3),
    XR("fucom st(i)", 0xdd, 4), XR("fucomp st(i)", 0xdd, 5),
    XF("fnstsw ax", 0xdf, 0xe0, 0), XR("fucomip st,st(i)", 0xdf, 5), XR("fcomip st,st(i)", 0xdf, 6),
    { .name = "fwait", .op = 0x9b, .ext = -1, .cls = CLS_X87 },
};
const size_t isa_x87_nforms = sizeof(isa_x87_forms) / sizeof(isa_x87_forms[0]);

size_t isa_nforms(void)
{
    return isa_int_nforms + isa_x87_nforms + isa_sse_nforms;
}

const struct isa_form *isa_form_at(size_t i)
{
    if (i < isa_int_nforms)
        return &isa_int_forms[i];
    i -= isa_int_nforms;
    if (i < isa_x87_nforms)
        return &isa_x87_forms[i];
    return &isa_sse_forms[i - isa_x87_nforms];
}
