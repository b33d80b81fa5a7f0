/* x87 kernels on the host's x87 unit (op-x87-host.h). Each one saves the host control word, sets up
 * the guest's situation (enter, pushes, set_env), runs its instruction, stores the FSW and the
 * results (fnsave: it waits for nothing and reinitializes), then the saved control word comes back. The asm
 * statements clobber the whole register stack, so the compiler keeps nothing there. */
#include "accel/soft/op-x87-host.h"

#define ST_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory"

/* The host FPU for one kernel: fninit, the operands pushed, then fldenv with the guest's control word
 * (exceptions masked), the guest's condition codes and a tag word that makes exactly the registers
 * in `valid` (bit = physical register) hold values (the protected-mode layout: SDM vol. 1,
 * figure 8-9). Loading the environment after the pushes keeps them from touching C1. Between these
 * asm statements only the x87 stack is live, which the compiler does not use in this file. */
static uint16_t enter(void)
{
    uint16_t saved;
    __asm__ volatile("fnstcw %0\n\tfninit" : "=m"(saved));
    return saved;
}

static void push_value(const long double *v)
{
    __asm__ volatile("fldt %0" : : "m"(*v));
}

static void set_env(unsigned fcw, unsigned fsw, unsigned top, unsigned valid)
{
    uint32_t ftw = 0;
    for (unsigned p = 0; p < 8; p++)
        ftw |= (valid >> p & 1 ? 0u : 3u) << (2 * p);
    /* overflow and underflow keep the guest's masks: unmasked, the host delivers the result with
     * the biased exponent the guest must see; the exception it leaves pending never fires, since
     * only non-waiting instructions (fnstsw, fnsave, fninit) follow. */
    uint32_t env[7] = { 0xffff0000u | (fcw & ~0x3fu) | 0x27 | (fcw & 0x18), 0xffff0000u | (fsw & 0x4700) | top << 11,
                        0xffff0000u | ftw, 0, 0, 0, 0xffff0000u };
    __asm__ volatile("fldenv %0" : : "m"(env));
}

/* Physical registers holding values after n pushes onto an empty stack (ST(0) is R(8-n)), less
 * the guest's empty operands, plus the register a further push would land in when X_FULL. */
static unsigned valid_regs(unsigned faults, unsigned n)
{
    unsigned v = 0, top = (8 - n) & 7;
    if (n >= 1 && !(faults & X_EMPTY0))
        v |= 1u << top;
    if (n >= 2 && !(faults & X_EMPTY1))
        v |= 1u << ((top + 1) & 7);
    if (faults & X_FULL)
        v |= 1u << ((top + 7) & 7);
    return v;
}

static void leave(uint16_t saved)
{
    __asm__ volatile("fninit\n\tfldcw %0" : : "m"(saved) : ST_CLOBBERS);
}

static void put(union x87_reg *out, const void *v)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->b, v, 10);
}

static long double get(const union x87_reg *x)
{
    long double v = 0;
    memcpy(&v, x->b, 10);
    return v;
}

#define BIN(insn)                                                                                  \
    __asm__ volatile(insn "\n\tfnstsw %1\n\tfnsave %0" : "=m"(sv), "=m"(sw) : : ST_CLOBBERS);          \
    break;

uint16_t x87_host_bin(unsigned fcw, unsigned fsw, unsigned faults, unsigned k, const union x87_reg *x, const union x87_reg *y,
                      union x87_reg *out)
{
    long double a = get(x), b = get(y);
    uint8_t sv[108];                    /* fnsave image: ST(0) at 28, ST(1) at 38 */
    uint16_t sw = 0, saved = enter();
    push_value(&b);
    push_value(&a);
    set_env(fcw, fsw, 6, valid_regs(faults, 2));
    switch (k) {                    /* ST(0) = a, ST(1) = b */
    case K_ADD: BIN("fadd %%st(1), %%st")
    case K_MUL: BIN("fmul %%st(1), %%st")
    case K_SUB: BIN("fsub %%st(1), %%st")
    case K_SUBR: BIN("fsubr %%st(1), %%st")
    case K_DIV: BIN("fdiv %%st(1), %%st")
    case K_DIVR: BIN("fdivr %%st(1), %%st")
    case K_COM: BIN("fcom %%st(1)")
    case K_UCOM: BIN("fucom %%st(1)")
    case K_PREM: BIN("fprem")
    case K_PREM1: BIN("fprem1")
    case K_SCALE: BIN("fscale")
    case K_PATAN: BIN("fpatan")
    case K_YL2X: BIN("fyl2x")
    case K_YL2XP1: BIN("fyl2xp1")
    default: {
        uint64_t fl;
        if (k == K_COMI)
            __asm__ volatile("fcomi %%st(1), %%st\n\tfnstsw %1\n\tpushfq\n\tpopq %0\n\tfninit"
                             : "=r"(fl), "=m"(sw) : : ST_CLOBBERS, "cc");
        else
            __asm__ volatile("fucomi %%st(1), %%st\n\tfnstsw %1\n\tpushfq\n\tpopq %0\n\tfninit"
                             : "=r"(fl), "=m"(sw) : : ST_CLOBBERS, "cc");
        leave(saved);
        memset(out, 0, sizeof(*out));
        out->r.mant = fl;
        return sw;
    }
    }
    leave(saved);
    put(out, sv + 28);
    return sw;
}

#define UN(insn)                                                                                   \
    __asm__ volatile(insn "\n\tfnstsw %1\n\tfnsave %0" : "=m"(sv), "=m"(sw) : : ST_CLOBBERS);          \
    break;

uint16_t x87_host_un(unsigned fcw, unsigned fsw, unsigned faults, unsigned k, const union x87_reg *x, union x87_reg *out1,
                     union x87_reg *out2)
{
    long double a = get(x);
    uint8_t sv[108];
    uint16_t sw = 0, saved = enter();
    push_value(&a);
    set_env(fcw, fsw, 7, valid_regs(faults, 1));
    switch (k) {
    case K_SQRT: UN("fsqrt")
    case K_RNDINT: UN("frndint")
    case K_F2XM1: UN("f2xm1")
    case K_SIN: UN("fsin")
    case K_COS: UN("fcos")
    case K_TST: UN("ftst")
    case K_PTAN: UN("fptan")
    case K_SINCOS: UN("fsincos")
    default: UN("fxtract")
    }
    leave(saved);
    put(out1, sv + 28);
    put(out2, sv + 38);
    return sw;
}

#define MOP(insn)                                                                                  \
    __asm__ volatile(insn " %2\n\tfnstsw %1\n\tfnsave %0"                                          \
                     : "=m"(sv), "=m"(sw) : "m"(*(const char(*)[10])mem) : ST_CLOBBERS);            \
    break;
#define MOP4(n, op, cmp)                                                                           \
    case 4 * (n) + M_F32: MOP(op "s") case 4 * (n) + M_F64: MOP(op "l")                            \
    case 4 * (n) + M_I32: MOP("fi" cmp "l") case 4 * (n) + M_I16: MOP("fi" cmp "s")

uint16_t x87_host_memop(unsigned fcw, unsigned fsw, unsigned faults, unsigned ext, unsigned type, const union x87_reg *x,
                        const void *mem, union x87_reg *out)
{
    long double a = get(x);
    uint8_t sv[108];
    uint16_t sw = 0, saved = enter();
    push_value(&a);
    set_env(fcw, fsw, 7, valid_regs(faults & X_EMPTY0, 1));
    switch (4 * (ext & 7) + (type & 3)) {
    MOP4(0, "fadd", "add") MOP4(1, "fmul", "mul") MOP4(2, "fcom", "com") MOP4(3, "fcom", "com")
    MOP4(4, "fsub", "sub") MOP4(5, "fsubr", "subr") MOP4(6, "fdiv", "div")
    default: MOP4(7, "fdivr", "divr")
    }
    leave(saved);
    put(out, sv + 28);
    return sw;
}

#define LD(insn)                                                                                   \
    __asm__ volatile(insn " %2\n\tfnstsw %1\n\tfnsave %0"                                          \
                     : "=m"(sv), "=m"(sw) : "m"(*(const char(*)[10])mem) : ST_CLOBBERS);            \
    break;

uint16_t x87_host_load(unsigned fcw, unsigned fsw, unsigned faults, unsigned type, const void *mem, union x87_reg *out)
{
    uint8_t sv[108];
    uint16_t sw = 0, saved = enter();
    set_env(fcw, fsw, 0, valid_regs(faults & X_FULL, 0));
    switch (type) {
    case M_F32: LD("flds")
    case M_F64: LD("fldl")
    case M_I32: LD("fildl")
    case M_I16: LD("filds")
    case M_I64: LD("fildll")
    case M_BCD: LD("fbld")
    default: LD("fldt")
    }
    leave(saved);
    put(out, sv + 28);
    return sw;
}

#define STO(insn)                                                                                  \
    __asm__ volatile(insn " %0\n\tfnstsw %1\n\tfninit" : "=m"(*(char(*)[10])mem), "=m"(sw) : : ST_CLOBBERS); \
    break;

uint16_t x87_host_store(unsigned fcw, unsigned fsw, unsigned faults, unsigned kind, const union x87_reg *x, void *mem)
{
    long double a = get(x);
    uint16_t sw = 0, saved = enter();
    push_value(&a);
    set_env(fcw, fsw, 7, valid_regs(faults & X_EMPTY0, 1));
    switch (kind) {
    case S_F32: STO("fstps")
    case S_F64: STO("fstpl")
    case S_I16: STO("fistps")
    case S_I32: STO("fistpl")
    case S_I64: STO("fistpll")
    case S_T16: STO("fisttps")
    case S_T32: STO("fisttpl")
    case S_T64: STO("fisttpll")
    case S_BCD: STO("fbstp")
    default: STO("fstpt")
    }
    leave(saved);
    return sw;
}

#define CONST(insn)                                                                                \
    __asm__ volatile(insn "\n\tfnstsw %1\n\tfnsave %0" : "=m"(sv), "=m"(sw) : : ST_CLOBBERS);          \
    break;

uint16_t x87_host_const(unsigned fcw, unsigned fsw, unsigned faults, unsigned k, union x87_reg *out)
{
    uint8_t sv[108];
    uint16_t sw = 0, saved = enter();
    set_env(fcw, fsw, 0, valid_regs(faults & X_FULL, 0));
    switch (k) {
    case C_ONE: CONST("fld1")
    case C_L2T: CONST("fldl2t")
    case C_L2E: CONST("fldl2e")
    case C_PI: CONST("fldpi")
    case C_LG2: CONST("fldlg2")
    case C_LN2: CONST("fldln2")
    default: CONST("fldz")
    }
    leave(saved);
    put(out, sv + 28);
    return sw;
}
