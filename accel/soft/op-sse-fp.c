/* SSE/SSE2/SSE3 floating point: arithmetic, compares, conversions. Each operation runs as the host's
 * own instruction on the guest's values, under the guest's MXCSR (op-sse-util.h says why). */
#include "accel/soft/op-sse-util.h"

typedef void (*fp2_fn)(v4sf *d, const v4sf *s);

#define HOST2(name, insn) \
    static void name(v4sf *d, const v4sf *s) { __asm__ volatile(insn " %1, %0" : "+x"(*d) : "x"(*s)); }

#define HOST4(op) HOST2(h_##op##ps, #op "ps") HOST2(h_##op##ss, #op "ss") \
                  HOST2(h_##op##pd, #op "pd") HOST2(h_##op##sd, #op "sd")
HOST4(add) HOST4(mul) HOST4(sub) HOST4(min) HOST4(div) HOST4(max) HOST4(sqrt)
HOST2(h_rsqrtps, "rsqrtps") HOST2(h_rsqrtss, "rsqrtss") HOST2(h_rcpps, "rcpps") HOST2(h_rcpss, "rcpss")
HOST2(h_cvtps2pd, "cvtps2pd") HOST2(h_cvtpd2ps, "cvtpd2ps") HOST2(h_cvtss2sd, "cvtss2sd")
HOST2(h_cvtsd2ss, "cvtsd2ss") HOST2(h_cvtdq2ps, "cvtdq2ps") HOST2(h_cvtps2dq, "cvtps2dq")
HOST2(h_cvttps2dq, "cvttps2dq") HOST2(h_cvttpd2dq, "cvttpd2dq") HOST2(h_cvtdq2pd, "cvtdq2pd")
HOST2(h_cvtpd2dq, "cvtpd2dq") HOST2(h_haddpd, "haddpd") HOST2(h_haddps, "haddps")
HOST2(h_hsubpd, "hsubpd") HOST2(h_hsubps, "hsubps") HOST2(h_addsubpd, "addsubpd")
HOST2(h_addsubps, "addsubps")

/* One row per (opcode, prefix): the host operation and the source operand's size in memory
 * (16 = a whole, aligned m128). */
struct fp_form {
    uint16_t key;
    uint8_t size;
    fp2_fn fn;
};

#define ROW4(op, name) { SSE_KEY(op, PFX_NP), 16, h_##name##ps }, { SSE_KEY(op, PFX_F3), 4, h_##name##ss }, \
                       { SSE_KEY(op, PFX_66), 16, h_##name##pd }, { SSE_KEY(op, PFX_F2), 8, h_##name##sd }

static const struct fp_form fp_forms[] = {
    ROW4(0x51, sqrt), ROW4(0x58, add), ROW4(0x59, mul), ROW4(0x5c, sub), ROW4(0x5d, min),
    ROW4(0x5e, div), ROW4(0x5f, max),
    { SSE_KEY(0x52, PFX_NP), 16, h_rsqrtps }, { SSE_KEY(0x52, PFX_F3), 4, h_rsqrtss },
    { SSE_KEY(0x53, PFX_NP), 16, h_rcpps }, { SSE_KEY(0x53, PFX_F3), 4, h_rcpss },
    { SSE_KEY(0x5a, PFX_NP), 8, h_cvtps2pd }, { SSE_KEY(0x5a, PFX_66), 16, h_cvtpd2ps },
    { SSE_KEY(0x5a, PFX_F3), 4, h_cvtss2sd }, { SSE_KEY(0x5a, PFX_F2), 8, h_cvtsd2ss },
    { SSE_KEY(0x5b, PFX_NP), 16, h_cvtdq2ps }, { SSE_KEY(0x5b, PFX_66), 16, h_cvtps2dq },
    { SSE_KEY(0x5b, PFX_F3), 16, h_cvttps2dq },
    { SSE_KEY(0xe6, PFX_66), 16, h_cvttpd2dq }, { SSE_KEY(0xe6, PFX_F3), 8, h_cvtdq2pd },
    { SSE_KEY(0xe6, PFX_F2), 16, h_cvtpd2dq },
    { SSE_KEY(0x7c, PFX_66), 16, h_haddpd }, { SSE_KEY(0x7c, PFX_F2), 16, h_haddps },
    { SSE_KEY(0x7d, PFX_66), 16, h_hsubpd }, { SSE_KEY(0x7d, PFX_F2), 16, h_hsubps },
    { SSE_KEY(0xd0, PFX_66), 16, h_addsubpd }, { SSE_KEY(0xd0, PFX_F2), 16, h_addsubps },
};

/* cmpps/ss/pd/sd: the legacy encodings know predicates 0-7 (imm8[2:0]). */
#define CMP_CASES(insn)                                                                            \
    switch (imm & 7) {                                                                             \
    case 0: __asm__ volatile(insn " $0, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    case 1: __asm__ volatile(insn " $1, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    case 2: __asm__ volatile(insn " $2, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    case 3: __asm__ volatile(insn " $3, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    case 4: __asm__ volatile(insn " $4, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    case 5: __asm__ volatile(insn " $5, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    case 6: __asm__ volatile(insn " $6, %1, %0" : "+x"(*d) : "x"(*s)); break;                      \
    default: __asm__ volatile(insn " $7, %1, %0" : "+x"(*d) : "x"(*s)); break;                     \
    }

static void host_cmp(unsigned pfx, unsigned imm, v4sf *d, const v4sf *s)
{
    switch (pfx) {
    case PFX_NP: CMP_CASES("cmpps"); break;
    case PFX_F3: CMP_CASES("cmpss"); break;
    case PFX_66: CMP_CASES("cmppd"); break;
    default: CMP_CASES("cmpsd"); break;
    }
}

static const uint8_t cmp_size[4] = { 16, 16, 4, 8 };   /* by prefix: NP, 66, F3, F2 */

/* ucomiss/comiss/ucomisd/comisd: ZF, PF, CF from the compare, OF, SF, AF cleared. */
static uint64_t host_comis(unsigned key, const v4sf *a, const v4sf *b)
{
    uint64_t fl;
    switch (key) {
    case SSE_KEY(0x2e, PFX_NP): __asm__ volatile("ucomiss %2, %1; pushfq; popq %0" : "=r"(fl) : "x"(*a), "x"(*b) : "cc"); break;
    case SSE_KEY(0x2f, PFX_NP): __asm__ volatile("comiss %2, %1; pushfq; popq %0" : "=r"(fl) : "x"(*a), "x"(*b) : "cc"); break;
    case SSE_KEY(0x2e, PFX_66): __asm__ volatile("ucomisd %2, %1; pushfq; popq %0" : "=r"(fl) : "x"(*a), "x"(*b) : "cc"); break;
    default: __asm__ volatile("comisd %2, %1; pushfq; popq %0" : "=r"(fl) : "x"(*a), "x"(*b) : "cc"); break;
    }
    return fl & (F_ZF | F_PF | F_CF);
}

/* cvt(t)ss2si / cvt(t)sd2si into a 32- or 64-bit register. */
static uint64_t host_cvt2si(unsigned op, unsigned pfx, bool q, const v4sf *s)
{
    uint32_t r32;
    uint64_t r64;
    unsigned k = (op == 0x2c ? 0 : 4) | (pfx == PFX_F3 ? 0 : 2) | q;
    switch (k) {
    case 0: __asm__ volatile("cvttss2si %1, %0" : "=r"(r32) : "x"(*s)); return r32;
    case 1: __asm__ volatile("cvttss2si %1, %0" : "=r"(r64) : "x"(*s)); return r64;
    case 2: __asm__ volatile("cvttsd2si %1, %0" : "=r"(r32) : "x"(*s)); return r32;
    case 3: __asm__ volatile("cvttsd2si %1, %0" : "=r"(r64) : "x"(*s)); return r64;
    case 4: __asm__ volatile("cvtss2si %1, %0" : "=r"(r32) : "x"(*s)); return r32;
    case 5: __asm__ volatile("cvtss2si %1, %0" : "=r"(r64) : "x"(*s)); return r64;
    case 6: __asm__ volatile("cvtsd2si %1, %0" : "=r"(r32) : "x"(*s)); return r32;
    default: __asm__ volatile("cvtsd2si %1, %0" : "=r"(r64) : "x"(*s)); return r64;
    }
}

static void host_cvtsi2(unsigned pfx, bool q, uint64_t v, v4sf *d)
{
    uint32_t v32 = (uint32_t)v;
    if (pfx == PFX_F3) {
        if (q)
            __asm__ volatile("cvtsi2ssq %1, %0" : "+x"(*d) : "r"(v));
        else
            __asm__ volatile("cvtsi2ssl %1, %0" : "+x"(*d) : "r"(v32));
    } else {
        if (q)
            __asm__ volatile("cvtsi2sdq %1, %0" : "+x"(*d) : "r"(v));
        else
            __asm__ volatile("cvtsi2sdl %1, %0" : "+x"(*d) : "r"(v32));
    }
}

bool sse_fp(struct cpu *c, const struct insn *i, unsigned key)
{
    union xmm_reg s, d = c->xmm[i->reg];
    v4sf vd, vs;
    uint32_t host;
    unsigned op = i->op & 0xff;
    bool q = (i->rex & 8) != 0;

    for (size_t k = 0; k < sizeof(fp_forms) / sizeof(fp_forms[0]); k++) {
        if (fp_forms[k].key != key)
            continue;
        sse_src(c, i, &s, fp_forms[k].size, true);
        memcpy(&vd, &d, 16), memcpy(&vs, &s, 16);
        host = fp_enter(c);
        fp_forms[k].fn(&vd, &vs);
        fp_leave(c, host);
        memcpy(&c->xmm[i->reg], &vd, 16);
        return true;
    }
    switch (key) {
    case SSE_KEY(0xc2, PFX_NP): case SSE_KEY(0xc2, PFX_66):
    case SSE_KEY(0xc2, PFX_F3): case SSE_KEY(0xc2, PFX_F2):
        sse_src(c, i, &s, cmp_size[i->pfx], true);
        memcpy(&vd, &d, 16), memcpy(&vs, &s, 16);
        host = fp_enter(c);
        host_cmp(i->pfx, (unsigned)i->imm, &vd, &vs);
        fp_leave(c, host);
        memcpy(&c->xmm[i->reg], &vd, 16);
        return true;
    case SSE_KEY(0x2e, PFX_NP): case SSE_KEY(0x2f, PFX_NP):
    case SSE_KEY(0x2e, PFX_66): case SSE_KEY(0x2f, PFX_66): {
        sse_src(c, i, &s, i->pfx == PFX_NP ? 4 : 8, false);
        memcpy(&vd, &d, 16), memcpy(&vs, &s, 16);
        host = fp_enter(c);
        uint64_t fl = host_comis(key, &vd, &vs);
        fp_leave(c, host);
        flags_set_arith(c, fl);
        return true;
    }
    case SSE_KEY(0x2a, PFX_F3): case SSE_KEY(0x2a, PFX_F2): {     /* cvtsi2ss/sd x, Ey */
        uint64_t v = rm_read(c, i, q ? 8 : 4);
        memcpy(&vd, &d, 16);
        host = fp_enter(c);
        host_cvtsi2(i->pfx, q, v, &vd);
        fp_leave(c, host);
        memcpy(&c->xmm[i->reg], &vd, 16);
        return true;
    }
    case SSE_KEY(0x2c, PFX_F3): case SSE_KEY(0x2c, PFX_F2):
    case SSE_KEY(0x2d, PFX_F3): case SSE_KEY(0x2d, PFX_F2): {     /* cvt(t)ss/sd2si Gy, xm */
        sse_src(c, i, &s, i->pfx == PFX_F3 ? 4 : 8, false);
        memcpy(&vs, &s, 16);
        host = fp_enter(c);
        uint64_t r = host_cvt2si(op, i->pfx, q, &vs);
        fp_leave(c, host);
        c->gpr[i->reg] = q ? r : (uint32_t)r;
        return true;
    }
    default:
        return false;
    }
}
