/* The FPU and SSE as the OS controls them (SDM vol. 3, 2.5 and 13.1; vol. 1, 8.7 and 11.5):
 * CR0.TS -> #NM, CR0.EM -> #NM for x87 and #UD for SSE, CR4.OSFXSR=0 -> #UD for SSE, unmasked SIMD
 * exceptions -> #XM with CR4.OSXMMEXCPT else #UD, unmasked x87 exceptions -> #MF at the next
 * waiting x87 instruction with CR0.NE, and fxsave/fxrstor keeping XMM, FCW and MXCSR. */
#include "guest.h"

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)

uint32_t one = 0x3f800000, zero;   /* 1.0f and 0.0f, for the asm below */
static uint32_t mxcsr_val;
static uint16_t fcw_val;
static uint8_t fxarea[512] __attribute__((aligned(16)));
static uint8_t fxarea2[512] __attribute__((aligned(16)));
static uint32_t xmm_out[4];

__asm__(".text\n"
        "sse_probe:\n sse_insn: xorps %xmm0, %xmm0\n ret\n"
        "x87_probe:\n x87_insn: fninit\n ret\n"
        "divss_probe:\n movss one(%rip), %xmm0\n divss_insn: divss zero(%rip), %xmm0\n ret\n"
        "fdiv_probe:\n fld1\n fdivs zero(%rip)\n"        /* 1 / 0: pending, unmasked ZE */
        "  nop\n"
        "fwait_insn: fwait\n ret\n");
void sse_probe(ulong), x87_probe(ulong), divss_probe(ulong), fdiv_probe(ulong);
extern char sse_insn[], x87_insn[], divss_insn[], fwait_insn[];

static void expect(const char *what, int got, int vec, ulong ip)
{
    check_eq(cat(what, ": vector"), (ulong)got, (ulong)vec);
    check_eq(cat(what, ": frame rip - the instruction"), last_exc.ip - ip, 0);
}

void guest_main(void)
{
    puts_uart("fpu: CR0.TS/EM/NE, CR4.OSFXSR/OSXMMEXCPT, #NM #UD #XM #MF, fxsave/fxrstor\n");
    ulong cr0 = (READ_CR(0) | CR0_MP | CR0_NE) & ~(ulong)(CR0_EM | CR0_TS), cr4 = READ_CR(4);
    WRITE_CR(0, cr0);
    WRITE_CR(4, cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT);
    __asm__ volatile("fninit");
    check_no_fault("SSE with CR4.OSFXSR=1, TS=0", run_catch(sse_probe, 0));
    check_no_fault("x87 with TS=0, EM=0", run_catch(x87_probe, 0));

    WRITE_CR(0, cr0 | CR0_TS);
    expect("SSE with CR0.TS=1: #NM", run_catch(sse_probe, 0), 7, (ulong)sse_insn);
    expect("x87 with CR0.TS=1: #NM", run_catch(x87_probe, 0), 7, (ulong)x87_insn);
    __asm__ volatile("clts");
    check_eq("clts clears CR0.TS", READ_CR(0) & CR0_TS, 0);

    WRITE_CR(0, cr0 | CR0_EM);
    expect("x87 with CR0.EM=1: #NM", run_catch(x87_probe, 0), 7, (ulong)x87_insn);
    expect("SSE with CR0.EM=1: #UD", run_catch(sse_probe, 0), 6, (ulong)sse_insn);
    WRITE_CR(0, cr0);

    WRITE_CR(4, cr4 & ~(ulong)(CR4_OSFXSR | CR4_OSXMMEXCPT));
    expect("SSE with CR4.OSFXSR=0: #UD", run_catch(sse_probe, 0), 6, (ulong)sse_insn);
    WRITE_CR(4, cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT);

    /* divss 1/0 with ZM clear in MXCSR: #XM with OSXMMEXCPT, #UD without. */
    mxcsr_val = 0x1f80 & ~(1u << 9);
    __asm__ volatile("ldmxcsr %0" :: "m"(mxcsr_val));
    expect("divss by 0, ZM clear, CR4.OSXMMEXCPT=1: #XM", run_catch(divss_probe, 0), 19, (ulong)divss_insn);
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr_val));
    check_eq("after #XM: MXCSR.ZE set", mxcsr_val & (1u << 2), 1u << 2);
    mxcsr_val = 0x1f80 & ~(1u << 9);
    __asm__ volatile("ldmxcsr %0" :: "m"(mxcsr_val));
    WRITE_CR(4, (cr4 | CR4_OSFXSR) & ~(ulong)CR4_OSXMMEXCPT);
    expect("divss by 0, ZM clear, CR4.OSXMMEXCPT=0: #UD", run_catch(divss_probe, 0), 6, (ulong)divss_insn);
    WRITE_CR(4, cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT);
    mxcsr_val = 0x1f80;
    __asm__ volatile("ldmxcsr %0" :: "m"(mxcsr_val));
    check_no_fault("divss by 0 with ZM set: no exception", run_catch(divss_probe, 0));

    /* x87: an unmasked zero divide is reported at the next waiting x87 instruction (#MF, CR0.NE=1). */
    __asm__ volatile("fninit");
    fcw_val = 0x037f & ~(1u << 2);   /* ZM clear */
    __asm__ volatile("fldcw %0" :: "m"(fcw_val));
    expect("fdiv by 0, ZM clear: #MF at the next fwait", run_catch(fdiv_probe, 0), 16, (ulong)fwait_insn);
    uint16_t sw;
    __asm__ volatile("fnstsw %0" : "=m"(sw));
    check_eq("after #MF: FSW.ZE and ES", sw & 0x84, 0x84);
    __asm__ volatile("fninit");

    /* fxsave/fxrstor: XMM0, FCW and MXCSR come back. */
    static const uint32_t pattern[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };
    fcw_val = 0x027f;
    mxcsr_val = 0x1f80 | (1u << 15);   /* FZ */
    __asm__ volatile("movups %0, %%xmm0; fldcw %1; ldmxcsr %2" :: "m"(pattern), "m"(fcw_val), "m"(mxcsr_val));
    __asm__ volatile("fxsave %0" : "=m"(fxarea));
    check_eq("fxsave: FCW at offset 0", *(uint16_t *)fxarea, 0x027f);
    check_eq("fxsave: MXCSR at offset 24", *(uint32_t *)(fxarea + 24), 0x1f80 | (1u << 15));
    check_eq("fxsave: XMM0 at offset 160", *(uint32_t *)(fxarea + 160 + 12), 0x44444444);
    __asm__ volatile("xorps %%xmm0, %%xmm0; fninit; ldmxcsr %0" :: "m"((uint32_t){ 0x1f80 }));
    __asm__ volatile("fxrstor %0" :: "m"(fxarea));
    __asm__ volatile("movups %%xmm0, %0; fnstcw %1; stmxcsr %2" : "=m"(xmm_out), "=m"(fcw_val), "=m"(mxcsr_val));
    check_eq("fxrstor: XMM0 back", xmm_out[0] == 0x11111111 && xmm_out[3] == 0x44444444, 1);
    check_eq("fxrstor: FCW back", fcw_val, 0x027f);
    check_eq("fxrstor: MXCSR back", mxcsr_val, 0x1f80 | (1u << 15));
    __asm__ volatile("fxsave %0" : "=m"(fxarea2));
    check_eq("fxsave after fxrstor: same first 288 bytes (FPU env, MXCSR, ST, XMM0-7)",
             memcmp(fxarea, fxarea2, 288) == 0, 1);
    mxcsr_val = 0x1f80;
    __asm__ volatile("ldmxcsr %0; fninit" :: "m"(mxcsr_val));
}
