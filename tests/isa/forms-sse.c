/* SSE..SSE4.2 instruction forms in their legacy (non-VEX) encodings, plus fxsave/fxrstor and the
 * MXCSR loads and stores (SDM vol. 2, appendix A: 0F, 0F38 and 0F3A maps with 66/F2/F3). */
#include "tests/isa/isa.h"

#define XX (E_MODRM | E_MEM | E_REG | E_XREG | E_XRM)
/* xmm, xmm/m128 aligned; unaligned; xmm, xmm/mN scalar; with imm8 */
#define A(n, p, mp, o) { .name = n, .map = mp, .op = o, .pfx = p, .ext = -1, .enc = XX | E_ALIGN, .cls = CLS_SSE, .memsize = 16 }
#define U(n, p, mp, o, ms) { .name = n, .map = mp, .op = o, .pfx = p, .ext = -1, .enc = XX, .cls = CLS_SSE, .memsize = ms }
#define AI(n, p, mp, o) { .name = n, .map = mp, .op = o, .pfx = p, .ext = -1, .enc = XX | E_ALIGN, .imm = I_B, .cls = CLS_SSE, .memsize = 16 }
#define UI(n, p, mp, o, ms) { .name = n, .map = mp, .op = o, .pfx = p, .ext = -1, .enc = XX, .imm = I_B, .cls = CLS_SSE, .memsize = ms }
/* anything else: explicit encoding flags */
#define G(n, p, mp, o, x, e, i, ms) { .name = n, .map = mp, .op = o, .pfx = p, .ext = x, .enc = e, .imm = i, .cls = CLS_SSE, .memsize = ms }
#define GF(n, p, mp, o, x, e, ms, fx) { .name = n, .map = mp, .op = o, .pfx = p, .ext = x, .enc = e, .cls = CLS_SSE, .memsize = ms, .fix = fx }

#define MR (E_MODRM | E_MEM | E_REG)
#define ARITH4(nm, o) A(nm "ps", 0, 1, o), U(nm "ss", 0xf3, 1, o, 4), A(nm "pd", 0x66, 1, o), U(nm "sd", 0xf2, 1, o, 8)
#define P66(n, o) A(n, 0x66, 1, o)
#define P38(n, o) A(n, 0x66, 2, o)

/* MMX: mm, mm/m64 (no mandatory prefix) */
#define MMX (E_MODRM | E_MEM | E_REG | E_MREG | E_MRM)
#define MM(n, mp, o) { .name = n " mm", .map = mp, .op = o, .ext = -1, .enc = MMX, .cls = CLS_SSE, .memsize = 8 }
#define MMI(n, mp, o) { .name = n " mm", .map = mp, .op = o, .ext = -1, .enc = MMX, .imm = I_B, .cls = CLS_SSE, .memsize = 8 }
#define MMS(n, o, x) { .name = n " mm,Ib", .map = 1, .op = o, .ext = x, .enc = E_MODRM | E_REG | E_MRM, .imm = I_B, .cls = CLS_SSE }

const struct isa_form isa_sse_forms[] = {
    /* moves */
    U("movups x,xm", 0, 1, 0x10, 16), U("movups xm,x", 0, 1, 0x11, 16),
    U("movss x,xm", 0xf3, 1, 0x10, 4), U("movss xm,x", 0xf3, 1, 0x11, 4),
    U("movupd x,xm", 0x66, 1, 0x10, 16), U("movupd xm,x", 0x66, 1, 0x11, 16),
    U("movsd x,xm", 0xf2, 1, 0x10, 8), U("movsd xm,x", 0xf2, 1, 0x11, 8),
    G("movlps x,m64", 0, 1, 0x12, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movhlps x,x", 0, 1, 0x12, -1, E_MODRM | E_REG | E_XREG | E_XRM, 0, 0),
    G("movlps m64,x", 0, 1, 0x13, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movlpd x,m64", 0x66, 1, 0x12, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movlpd m64,x", 0x66, 1, 0x13, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movhps x,m64", 0, 1, 0x16, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movlhps x,x", 0, 1, 0x16, -1, E_MODRM | E_REG | E_XREG | E_XRM, 0, 0),
    G("movhps m64,x", 0, 1, 0x17, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movhpd x,m64", 0x66, 1, 0x16, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    G("movhpd m64,x", 0x66, 1, 0x17, -1, E_MODRM | E_MEM | E_XREG, 0, 8),
    A("movaps x,xm", 0, 1, 0x28), A("movaps xm,x", 0, 1, 0x29),
    A("movapd x,xm", 0x66, 1, 0x28), A("movapd xm,x", 0x66, 1, 0x29),
    G("movntps m,x", 0, 1, 0x2b, -1, E_MODRM | E_MEM | E_XREG | E_ALIGN, 0, 16),
    G("movntpd m,x", 0x66, 1, 0x2b, -1, E_MODRM | E_MEM | E_XREG | E_ALIGN, 0, 16),
    G("movmskps r,x", 0, 1, 0x50, -1, E_MODRM | E_REG | E_XRM, 0, 0),
    G("movmskpd r,x", 0x66, 1, 0x50, -1, E_MODRM | E_REG | E_XRM, 0, 0),
    G("movd/q x,Ey", 0x66, 1, 0x6e, -1, MR | E_XREG | E_W, 0, 8),
    G("movd/q Ey,x", 0x66, 1, 0x7e, -1, MR | E_XREG | E_W, 0, 8),
    U("movq x,xm64", 0xf3, 1, 0x7e, 8), U("movq xm64,x", 0x66, 1, 0xd6, 8),
    A("movdqa x,xm", 0x66, 1, 0x6f), A("movdqa xm,x", 0x66, 1, 0x7f),
    U("movdqu x,xm", 0xf3, 1, 0x6f, 16), U("movdqu xm,x", 0xf3, 1, 0x7f, 16),
    G("movntdq m,x", 0x66, 1, 0xe7, -1, E_MODRM | E_MEM | E_XREG | E_ALIGN, 0, 16),
    G("movnti m,r", 0, 1, 0xc3, -1, E_MODRM | E_MEM | E_W, 0, 8),
    G("pmovmskb r,x", 0x66, 1, 0xd7, -1, E_MODRM | E_REG | E_XRM, 0, 0),
    G("lddqu x,m", 0xf2, 1, 0xf0, -1, E_MODRM | E_MEM | E_XREG, 0, 16),
    U("movddup x,xm64", 0xf2, 1, 0x12, 8), A("movsldup x,xm", 0xf3, 1, 0x12), A("movshdup x,xm", 0xf3, 1, 0x16),
    G("movntdqa x,m", 0x66, 2, 0x2a, -1, E_MODRM | E_MEM | E_XREG | E_ALIGN, 0, 16),

    /* floating-point arithmetic */
    ARITH4("add", 0x58), ARITH4("mul", 0x59), ARITH4("sub", 0x5c), ARITH4("min", 0x5d),
    ARITH4("div", 0x5e), ARITH4("max", 0x5f), ARITH4("sqrt", 0x51),
    A("rsqrtps", 0, 1, 0x52), U("rsqrtss", 0xf3, 1, 0x52, 4), A("rcpps", 0, 1, 0x53), U("rcpss", 0xf3, 1, 0x53, 4),
    A("andps", 0, 1, 0x54), A("andnps", 0, 1, 0x55), A("orps", 0, 1, 0x56), A("xorps", 0, 1, 0x57),
    P66("andpd", 0x54), P66("andnpd", 0x55), P66("orpd", 0x56), P66("xorpd", 0x57),
    A("unpcklps", 0, 1, 0x14), A("unpckhps", 0, 1, 0x15), P66("unpcklpd", 0x14), P66("unpckhpd", 0x15),
    AI("cmpps", 0, 1, 0xc2), UI("cmpss", 0xf3, 1, 0xc2, 4), AI("cmppd", 0x66, 1, 0xc2), UI("cmpsd", 0xf2, 1, 0xc2, 8),
    AI("shufps", 0, 1, 0xc6), AI("shufpd", 0x66, 1, 0xc6),
    U("ucomiss", 0, 1, 0x2e, 4), U("comiss", 0, 1, 0x2f, 4),
    U("ucomisd", 0x66, 1, 0x2e, 8), U("comisd", 0x66, 1, 0x2f, 8),
    P66("addsubpd", 0xd0), A("addsubps", 0xf2, 1, 0xd0),
    P66("haddpd", 0x7c), A("haddps", 0xf2, 1, 0x7c), P66("hsubpd", 0x7d), A("hsubps", 0xf2, 1, 0x7d),

    /* conversions */
    G("cvtsi2ss x,Ey", 0xf3, 1, 0x2a, -1, MR | E_XREG | E_W, 0, 8),
    G("cvtsi2sd x,Ey", 0xf2, 1, 0x2a, -1, MR | E_XREG | E_W, 0, 8),
    G("cvttss2si Gy,xm32", 0xf3, 1, 0x2c, -1, MR | E_XRM | E_W, 0, 4),
    G("cvttsd2si Gy,xm64", 0xf2, 1, 0x2c, -1, MR | E_XRM | E_W, 0, 8),
    G("cvtss2si Gy,xm32", 0xf3, 1, 0x2d, -1, MR | E_XRM | E_W, 0, 4),
    G("cvtsd2si Gy,xm64", 0xf2, 1, 0x2d, -1, MR | E_XRM | E_W, 0, 8),
    U("cvtps2pd", 0, 1, 0x5a, 8), P66("cvtpd2ps", 0x5a), U("cvtss2sd", 0xf3, 1, 0x5a, 4), U("cvtsd2ss", 0xf2, 1, 0x5a, 8),
    /* MMX <-> SSE: xmm, mm/m64 and mm, xmm/m64 (m128 aligned for the pd2pi forms) */
    G("cvtpi2ps x,mm/m64", 0, 1, 0x2a, -1, MR | E_XREG | E_MRM, 0, 8),
    G("cvtpi2pd x,mm/m64", 0x66, 1, 0x2a, -1, MR | E_XREG | E_MRM, 0, 8),
    G("cvtps2pi mm,xm64", 0, 1, 0x2d, -1, MR | E_MREG | E_XRM, 0, 8),
    G("cvttps2pi mm,xm64", 0, 1, 0x2c, -1, MR | E_MREG | E_XRM, 0, 8),
    G("cvtpd2pi mm,xm128", 0x66, 1, 0x2d, -1, MR | E_MREG | E_XRM | E_ALIGN, 0, 16),
    G("cvttpd2pi mm,xm128", 0x66, 1, 0x2c, -1, MR | E_MREG | E_XRM | E_ALIGN, 0, 16),
    G("movq2dq x,mm", 0xf3, 1, 0xd6, -1, E_MODRM | E_REG | E_XREG | E_MRM, 0, 0),
    G("movdq2q mm,x", 0xf2, 1, 0xd6, -1, E_MODRM | E_REG | E_MREG | E_XRM, 0, 0),
    A("cvtdq2ps", 0, 1, 0x5b), P66("cvtps2dq", 0x5b), A("cvttps2dq", 0xf3, 1, 0x5b),
    P66("cvttpd2dq", 0xe6), A("cvtpd2dq", 0xf2, 1, 0xe6), U("cvtdq2pd", 0xf3, 1, 0xe6, 8),

    /* SSE2 integer */
    P66("punpcklbw", 0x60), P66("punpcklwd", 0x61), P66("punpckldq", 0x62), P66("packsswb", 0x63),
    P66("pcmpgtb", 0x64), P66("pcmpgtw", 0x65), P66("pcmpgtd", 0x66), P66("packuswb", 0x67),
    P66("punpckhbw", 0x68), P66("punpckhwd", 0x69), P66("punpckhdq", 0x6a), P66("packssdw", 0x6b),
    P66("punpcklqdq", 0x6c), P66("punpckhqdq", 0x6d),
    AI("pshufd", 0x66, 1, 0x70), AI("pshufhw", 0xf3, 1, 0x70), AI("pshuflw", 0xf2, 1, 0x70),
    G("psrlw x,Ib", 0x66, 1, 0x71, 2, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psraw x,Ib", 0x66, 1, 0x71, 4, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psllw x,Ib", 0x66, 1, 0x71, 6, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psrld x,Ib", 0x66, 1, 0x72, 2, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psrad x,Ib", 0x66, 1, 0x72, 4, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("pslld x,Ib", 0x66, 1, 0x72, 6, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psrlq x,Ib", 0x66, 1, 0x73, 2, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psrldq x,Ib", 0x66, 1, 0x73, 3, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("psllq x,Ib", 0x66, 1, 0x73, 6, E_MODRM | E_REG | E_XRM, I_B, 0),
    G("pslldq x,Ib", 0x66, 1, 0x73, 7, E_MODRM | E_REG | E_XRM, I_B, 0),
    P66("pcmpeqb", 0x74), P66("pcmpeqw", 0x75), P66("pcmpeqd", 0x76),
    G("pinsrw x,Ry/m16,Ib", 0x66, 1, 0xc4, -1, MR | E_XREG, I_B, 2),
    G("pextrw Gd,x,Ib", 0x66, 1, 0xc5, -1, E_MODRM | E_REG | E_XRM, I_B, 0),
    P66("psrlw", 0xd1), P66("psrld", 0xd2), P66("psrlq", 0xd3), P66("paddq", 0xd4), P66("pmullw", 0xd5),
    P66("psubusb", 0xd8), P66("psubusw", 0xd9), P66("pminub", 0xda), P66("pand", 0xdb),
    P66("paddusb", 0xdc), P66("paddusw", 0xdd), P66("pmaxub", 0xde), P66("pandn", 0xdf),
    P66("pavgb", 0xe0), P66("psraw", 0xe1), P66("psrad", 0xe2), P66("pavgw", 0xe3),
    P66("pmulhuw", 0xe4), P66("pmulhw", 0xe5), P66("psubsb", 0xe8), P66("psubsw", 0xe9),
    P66("pminsw", 0xea), P66("por", 0xeb), P66("paddsb", 0xec), P66("paddsw", 0xed),
    P66("pmaxsw", 0xee), P66("pxor", 0xef), P66("psllw", 0xf1), P66("pslld", 0xf2), P66("psllq", 0xf3),
    P66("pmuludq", 0xf4), P66("pmaddwd", 0xf5), P66("psadbw", 0xf6), P66("psubb", 0xf8),
    P66("psubw", 0xf9), P66("psubd", 0xfa), P66("psubq", 0xfb), P66("paddb", 0xfc), P66("paddw", 0xfd),
    P66("paddd", 0xfe),

    /* SSSE3 */
    P38("pshufb", 0x00), P38("phaddw", 0x01), P38("phaddd", 0x02), P38("phaddsw", 0x03),
    P38("pmaddubsw", 0x04), P38("phsubw", 0x05), P38("phsubd", 0x06), P38("phsubsw", 0x07),
    P38("psignb", 0x08), P38("psignw", 0x09), P38("psignd", 0x0a), P38("pmulhrsw", 0x0b),
    P38("pabsb", 0x1c), P38("pabsw", 0x1d), P38("pabsd", 0x1e), AI("palignr", 0x66, 3, 0x0f),

    /* SSE4.1 */
    P38("pblendvb", 0x10), P38("blendvps", 0x14), P38("blendvpd", 0x15), P38("ptest", 0x17),
    U("pmovsxbw", 0x66, 2, 0x20, 8), U("pmovsxbd", 0x66, 2, 0x21, 4), U("pmovsxbq", 0x66, 2, 0x22, 2),
    U("pmovsxwd", 0x66, 2, 0x23, 8), U("pmovsxwq", 0x66, 2, 0x24, 4), U("pmovsxdq", 0x66, 2, 0x25, 8),
    P38("pmuldq", 0x28), P38("pcmpeqq", 0x29), P38("packusdw", 0x2b),
    U("pmovzxbw", 0x66, 2, 0x30, 8), U("pmovzxbd", 0x66, 2, 0x31, 4), U("pmovzxbq", 0x66, 2, 0x32, 2),
    U("pmovzxwd", 0x66, 2, 0x33, 8), U("pmovzxwq", 0x66, 2, 0x34, 4), U("pmovzxdq", 0x66, 2, 0x35, 8),
    P38("pminsb", 0x38), P38("pminsd", 0x39), P38("pminuw", 0x3a), P38("pminud", 0x3b),
    P38("pmaxsb", 0x3c), P38("pmaxsd", 0x3d), P38("pmaxuw", 0x3e), P38("pmaxud", 0x3f),
    P38("pmulld", 0x40), P38("phminposuw", 0x41),
    AI("roundps", 0x66, 3, 0x08), AI("roundpd", 0x66, 3, 0x09),
    UI("roundss", 0x66, 3, 0x0a, 4), UI("roundsd", 0x66, 3, 0x0b, 8),
    AI("blendps", 0x66, 3, 0x0c), AI("blendpd", 0x66, 3, 0x0d), AI("pblendw", 0x66, 3, 0x0e),
    G("pextrb Rd/m8,x,Ib", 0x66, 3, 0x14, -1, MR | E_XREG, I_B, 1),
    G("pextrw Rd/m16,x,Ib", 0x66, 3, 0x15, -1, MR | E_XREG, I_B, 2),
    G("pextrd/q Ey,x,Ib", 0x66, 3, 0x16, -1, MR | E_XREG | E_W, I_B, 8),
    G("extractps Ed,x,Ib", 0x66, 3, 0x17, -1, MR | E_XREG, I_B, 4),
    G("pinsrb x,Rd/m8,Ib", 0x66, 3, 0x20, -1, MR | E_XREG, I_B, 1),
    UI("insertps", 0x66, 3, 0x21, 4),
    G("pinsrd/q x,Ey,Ib", 0x66, 3, 0x22, -1, MR | E_XREG | E_W, I_B, 8),
    AI("dpps", 0x66, 3, 0x40), AI("dppd", 0x66, 3, 0x41), AI("mpsadbw", 0x66, 3, 0x42),

    /* SSE4.2 (crc32 and popcnt are with the integer forms) */
    P38("pcmpgtq", 0x37),
    { .name = "pcmpestrm", .map = 3, .op = 0x60, .pfx = 0x66, .ext = -1, .enc = XX | E_W, .imm = I_B, .cls = CLS_SSE, .memsize = 16 },
    { .name = "pcmpestri", .map = 3, .op = 0x61, .pfx = 0x66, .ext = -1, .enc = XX | E_W, .imm = I_B, .cls = CLS_SSE, .memsize = 16 },
    UI("pcmpistrm", 0x66, 3, 0x62, 16), UI("pcmpistri", 0x66, 3, 0x63, 16),

    /* MMX */
    MM("punpcklbw", 1, 0x60), MM("punpcklwd", 1, 0x61), MM("punpckldq", 1, 0x62), MM("packsswb", 1, 0x63),
    MM("pcmpgtb", 1, 0x64), MM("pcmpgtw", 1, 0x65), MM("pcmpgtd", 1, 0x66), MM("packuswb", 1, 0x67),
    MM("punpckhbw", 1, 0x68), MM("punpckhwd", 1, 0x69), MM("punpckhdq", 1, 0x6a), MM("packssdw", 1, 0x6b),
    MM("pcmpeqb", 1, 0x74), MM("pcmpeqw", 1, 0x75), MM("pcmpeqd", 1, 0x76),
    MM("psrlw", 1, 0xd1), MM("psrld", 1, 0xd2), MM("psrlq", 1, 0xd3), MM("paddq", 1, 0xd4), MM("pmullw", 1, 0xd5),
    MM("psubusb", 1, 0xd8), MM("psubusw", 1, 0xd9), MM("pminub", 1, 0xda), MM("pand", 1, 0xdb),
    MM("paddusb", 1, 0xdc), MM("paddusw", 1, 0xdd), MM("pmaxub", 1, 0xde), MM("pandn", 1, 0xdf),
    MM("pavgb", 1, 0xe0), MM("psraw", 1, 0xe1), MM("psrad", 1, 0xe2), MM("pavgw", 1, 0xe3),
    MM("pmulhuw", 1, 0xe4), MM("pmulhw", 1, 0xe5), MM("psubsb", 1, 0xe8), MM("psubsw", 1, 0xe9),
    MM("pminsw", 1, 0xea), MM("por", 1, 0xeb), MM("paddsb", 1, 0xec), MM("paddsw", 1, 0xed),
    MM("pmaxsw", 1, 0xee), MM("pxor", 1, 0xef), MM("psllw", 1, 0xf1), MM("pslld", 1, 0xf2), MM("psllq", 1, 0xf3),
    MM("pmuludq", 1, 0xf4), MM("pmaddwd", 1, 0xf5), MM("psadbw", 1, 0xf6), MM("psubb", 1, 0xf8),
    MM("psubw", 1, 0xf9), MM("psubd", 1, 0xfa), MM("psubq", 1, 0xfb), MM("paddb", 1, 0xfc), MM("paddw", 1, 0xfd),
    MM("paddd", 1, 0xfe), MM("movq x,", 1, 0x6f), MM("movq xm,", 1, 0x7f), MMI("pshufw", 1, 0x70),
    MMS("psrlw", 0x71, 2), MMS("psraw", 0x71, 4), MMS("psllw", 0x71, 6), MMS("psrld", 0x72, 2),
    MMS("psrad", 0x72, 4), MMS("pslld", 0x72, 6), MMS("psrlq", 0x73, 2), MMS("psllq", 0x73, 6),
    G("movd/q mm,Ey", 0, 1, 0x6e, -1, MR | E_MREG | E_W, 0, 8),
    G("movd/q Ey,mm", 0, 1, 0x7e, -1, MR | E_MREG | E_W, 0, 8),
    G("pinsrw mm,Ry/m16,Ib", 0, 1, 0xc4, -1, MR | E_MREG, I_B, 2),
    G("pextrw Gd,mm,Ib", 0, 1, 0xc5, -1, E_MODRM | E_REG | E_MRM, I_B, 0),
    G("pmovmskb r,mm", 0, 1, 0xd7, -1, E_MODRM | E_REG | E_MRM, 0, 0),
    G("movntq m,mm", 0, 1, 0xe7, -1, E_MODRM | E_MEM | E_MREG, 0, 8),
    MM("pshufb", 2, 0x00), MM("phaddw", 2, 0x01), MM("phaddd", 2, 0x02), MM("phaddsw", 2, 0x03),
    MM("pmaddubsw", 2, 0x04), MM("phsubw", 2, 0x05), MM("phsubd", 2, 0x06), MM("phsubsw", 2, 0x07),
    MM("psignb", 2, 0x08), MM("psignw", 2, 0x09), MM("psignd", 2, 0x0a), MM("pmulhrsw", 2, 0x0b),
    MM("pabsb", 2, 0x1c), MM("pabsw", 2, 0x1d), MM("pabsd", 2, 0x1e), MMI("palignr", 3, 0x0f),

    /* MMX state: emms empties the x87 tags */
    { .name = "emms", .map = 1, .op = 0x77, .ext = -1, .cls = CLS_SSE },

    /* state save and MXCSR */
    GF("fxsave m512", 0, 1, 0xae, 0, E_MODRM | E_MEM | E_W, 512, FX_FXSAVE),
    GF("fxrstor m512", 0, 1, 0xae, 1, E_MODRM | E_MEM | E_W, 512, FX_FXRSTOR),
    GF("ldmxcsr m32", 0, 1, 0xae, 2, E_MODRM | E_MEM, 4, FX_LDMXCSR),
    GF("stmxcsr m32", 0, 1, 0xae, 3, E_MODRM | E_MEM, 4, FX_NONE),
};
const size_t isa_sse_nforms = sizeof(isa_sse_forms) / sizeof(isa_sse_forms[0]);
