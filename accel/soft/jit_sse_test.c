/* The translator's SSE2 forms (jit-sse.c) against the interpreter: one block of moves, bitwise and
 * packed-integer ops, shifts, shuffles, pmovmskb and movd/movq on registers (xmm8-15 too) and on
 * aligned and unaligned memory, run with the soft TLB warm (the inline paths) and cold (the slow
 * paths); a misaligned operand of an aligned form (#GP, SDM vol. 2, MOVDQA and 11.4.3 of vol. 1);
 * CR0.TS (#NM) ahead of it, CR0.EM and a clear CR4.OSFXSR (#UD), SDM vol. 3, table 13-? of 13.1.
 * Both runs must end alike: status, vector, GPRs, rip, every XMM register and the stack page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/cpu.h"
#include "accel/soft/flat.h"

#define PAGE 4096u
#define SP_OFF (PAGE + 1024)   /* rsp: 16-byte aligned, 256 bytes of data above it */

struct env {
    uint8_t *mem;              /* code page, data page */
    struct flat_region r[2];
};

static int setup(void **state)
{
    static struct env e;
    e.mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (e.mem == MAP_FAILED)
        return -1;
    e.r[0] = (struct flat_region){ e.mem, PAGE, 1 };
    e.r[1] = (struct flat_region){ e.mem + PAGE, PAGE, 1 };
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    munmap(e->mem, 2 * PAGE);
    return 0;
}

struct run {
    struct flat_state st;
    int rc, vec;
    uint8_t data[PAGE];
};

/* One run of code from a fixed start (XMM registers and the data page hold patterns). */
static void run_one(struct env *e, const uint8_t *code, size_t n, const struct flat_cpu *cpu, struct run *out)
{
    memset(e->mem, 0xcc, PAGE);
    memcpy(e->mem, code, n);
    for (unsigned k = 0; k < PAGE; k++)
        e->mem[PAGE + k] = (uint8_t)(k * 37 + (k >> 5));
    memset(&out->st, 0, sizeof(out->st));
    for (unsigned r = 0; r < 16; r++)
        for (unsigned b = 0; b < 16; b++)
            out->st.xmm[r][b] = (uint8_t)(r * 16 + b * 29 + (b & 4 ? 0x80 : 0));
    out->st.rip = (uintptr_t)e->mem;
    out->st.gpr[4] = (uintptr_t)e->mem + SP_OFF;
    out->st.gpr[0] = 0x8877665544332211ull;
    out->st.gpr[2] = 0xfedcba9876543210ull;
    out->st.gpr[6] = out->st.gpr[7] = ~0ull;
    out->st.rflags = 0x2;
    out->st.mxcsr = 0x1f80;
    out->st.fcw = 0x37f;
    out->vec = -1;
    out->rc = soft_flat_run(&out->st, e->r, 2, (uintptr_t)e->mem + n, 1000, &out->vec, cpu);
    memcpy(out->data, e->mem + PAGE, PAGE);
}

/* Interpreted, then translated with the TLB cold and warm: all three end alike. Returns the
 * translated (warm) run's vector, or -1 when the code ran to its end. */
static int run_all(struct env *e, const uint8_t *code, size_t n, uint32_t cr0_set, uint32_t cr4_clear,
                   struct run *out)
{
    static struct run r[3];
    for (int m = 0; m < 3; m++) {
        struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = m > 0, .warm_tlb = m == 2,
                                .cr0_set = cr0_set, .cr4_clear = cr4_clear };
        run_one(e, code, n, &cpu, &r[m]);
    }
    for (int m = 1; m < 3; m++) {
        assert_int_equal(r[0].rc, r[m].rc);
        assert_int_equal(r[0].vec, r[m].vec);
        assert_memory_equal(r[0].st.gpr, r[m].st.gpr, sizeof(r[0].st.gpr));
        assert_int_equal(r[0].st.rip, r[m].st.rip);
        assert_memory_equal(r[0].st.xmm, r[m].st.xmm, sizeof(r[0].st.xmm));
        assert_memory_equal(r[0].data, r[m].data, PAGE);
    }
    *out = r[2];
    return r[2].rc == FLAT_DONE ? -1 : r[2].vec;
}

static const uint8_t block[] = {
    0x66, 0x0f, 0x6f, 0x44, 0x24, 0x10,               /* movdqa xmm0,[rsp+0x10] */
    0xf3, 0x44, 0x0f, 0x6f, 0x4c, 0x24, 0x03,         /* movdqu xmm9,[rsp+0x3] */
    0x66, 0x41, 0x0f, 0x74, 0xc1,                     /* pcmpeqb xmm0,xmm9 */
    0x66, 0x44, 0x0f, 0xd7, 0xd0,                     /* pmovmskb r10d,xmm0 */
    0x66, 0x44, 0x0f, 0xfe, 0xc9,                     /* paddd xmm9,xmm1 */
    0x66, 0x0f, 0xfb, 0x4c, 0x24, 0x20,               /* psubq xmm1,[rsp+0x20] */
    0x66, 0x45, 0x0f, 0xef, 0xe1,                     /* pxor xmm12,xmm9 */
    0x66, 0x41, 0x0f, 0xeb, 0xd4,                     /* por xmm2,xmm12 */
    0x66, 0x0f, 0xdb, 0xda,                           /* pand xmm3,xmm2 */
    0x66, 0x0f, 0xdf, 0x1c, 0x24,                     /* pandn xmm3,[rsp] */
    0x66, 0x0f, 0x60, 0xe3,                           /* punpcklbw xmm4,xmm3 */
    0x66, 0x0f, 0x6a, 0x64, 0x24, 0x10,               /* punpckhdq xmm4,[rsp+0x10] */
    0x66, 0x0f, 0x70, 0xec, 0x1b,                     /* pshufd xmm5,xmm4,0x1b */
    0x66, 0x44, 0x0f, 0x70, 0x6c, 0x24, 0x20, 0x4e,   /* pshufd xmm13,[rsp+0x20],0x4e */
    0x66, 0x0f, 0x73, 0xdd, 0x03,                     /* psrldq xmm5,3 */
    0x66, 0x41, 0x0f, 0x73, 0xfd, 0x05,               /* pslldq xmm13,5 */
    0x66, 0x0f, 0x71, 0xd6, 0x03,                     /* psrlw xmm6,3 */
    0x66, 0x0f, 0x72, 0xe7, 0x1f,                     /* psrad xmm7,31 */
    0x66, 0x41, 0x0f, 0x73, 0xf6, 0x3f,               /* psllq xmm14,63 */
    0x66, 0x44, 0x0f, 0x6e, 0xc0,                     /* movd xmm8,eax */
    0x66, 0x4c, 0x0f, 0x6e, 0xd2,                     /* movq xmm10,rdx */
    0x66, 0x44, 0x0f, 0x6e, 0x5c, 0x24, 0x05,         /* movd xmm11,[rsp+0x5] */
    0xf3, 0x44, 0x0f, 0x7e, 0x7c, 0x24, 0x09,         /* movq xmm15,[rsp+0x9] */
    0x66, 0x0f, 0x7e, 0xee,                           /* movd esi,xmm5 */
    0x66, 0x4c, 0x0f, 0x7e, 0xef,                     /* movq rdi,xmm13 */
    0x66, 0x44, 0x0f, 0x7e, 0x74, 0x24, 0x28,         /* movd [rsp+0x28],xmm14 */
    0x66, 0x44, 0x0f, 0xd6, 0x7c, 0x24, 0x31,         /* movq [rsp+0x31],xmm15 */
    0xf3, 0x41, 0x0f, 0x7e, 0xca,                     /* movq xmm1,xmm10 */
    0xf3, 0x0f, 0x7e, 0x54, 0x24, 0x07,               /* movq xmm2,[rsp+0x7] */
    0xf3, 0x0f, 0x7e, 0xdc,                           /* movq xmm3,xmm4 */
    0x66, 0x44, 0x0f, 0xd6, 0x4c, 0x24, 0x39,         /* movq [rsp+0x39],xmm9 */
    0x0f, 0x10, 0x74, 0x24, 0x01,                     /* movups xmm6,[rsp+0x1] */
    0x0f, 0x11, 0x74, 0x24, 0x41,                     /* movups [rsp+0x41],xmm6 */
    0x0f, 0x28, 0x7c, 0x24, 0x30,                     /* movaps xmm7,[rsp+0x30] */
    0x44, 0x0f, 0x29, 0x64, 0x24, 0x50,               /* movaps [rsp+0x50],xmm12 */
    0x66, 0x44, 0x0f, 0x7f, 0x6c, 0x24, 0x60,         /* movdqa [rsp+0x60],xmm13 */
    0xf3, 0x0f, 0x7f, 0x7c, 0x24, 0x71,               /* movdqu [rsp+0x71],xmm7 */
    0x0f, 0x57, 0xe4,                                 /* xorps xmm4,xmm4 */
    0x0f, 0x54, 0x6c, 0x24, 0x40,                     /* andps xmm5,[rsp+0x40] */
    0x66, 0x45, 0x0f, 0xd4, 0xdf,                     /* paddq xmm11,xmm15 */
    0x66, 0x0f, 0xd7, 0xcd,                           /* pmovmskb ecx,xmm5 */
    0x66, 0x44, 0x0f, 0x6f, 0xc1,                     /* movdqa xmm8,xmm1 */
    0x44, 0x0f, 0x28, 0xfb,                           /* movaps xmm15,xmm3 */
};

static void test_sse_block(void **state)
{
    struct run r;
    assert_int_equal(run_all(*state, block, sizeof(block), 0, 0, &r), -1);
    static const uint8_t zero[16];
    const uint8_t *sp = r.data + SP_OFF - PAGE;
    assert_memory_equal(r.st.xmm[4], zero, 16);                 /* xorps */
    assert_memory_equal(r.st.xmm[2] + 8, zero, 8);              /* movq xmm, m64 clears 127:64 */
    assert_memory_equal(r.st.xmm[1] + 8, zero, 8);              /* ... and movq xmm, xmm */
    assert_memory_equal(r.st.xmm[1], r.st.xmm[10], 16);         /* xmm10 = rdx, 0 */
    assert_int_equal(r.st.gpr[6] >> 32, 0);                     /* movd r32 zero-extends */
    assert_int_equal(r.st.gpr[10] >> 16, 0);                    /* pmovmskb: 16 bits */
    assert_memory_equal(sp + 0x41, r.st.xmm[6], 15);            /* movups (byte 15: movaps) */
    assert_memory_equal(sp + 0x60, r.st.xmm[13], 16);
    uint64_t rdx = 0xfedcba9876543210ull;
    assert_memory_equal(r.st.xmm[1], &rdx, 8);
}

/* An inline op (xmm0 ^= xmm1), then an aligned form on a misaligned address: #GP with xmm0
 * changed and nothing else. */
static void test_sse_misaligned(void **state)
{
    static const uint8_t pre[] = { 0x66, 0x0f, 0xef, 0xc1 };   /* pxor xmm0,xmm1 */
    static const uint8_t faulting[][8] = {
        { 6, 0x66, 0x0f, 0x6f, 0x44, 0x24, 0x08 },             /* movdqa xmm0,[rsp+8] */
        { 7, 0x66, 0x44, 0x0f, 0xef, 0x4c, 0x24, 0x04 },       /* pxor xmm9,[rsp+4] */
        { 5, 0x0f, 0x29, 0x5c, 0x24, 0x01 },                   /* movaps [rsp+1],xmm3 */
        { 7, 0x66, 0x0f, 0x70, 0x4c, 0x24, 0x02, 0x00 },       /* pshufd xmm1,[rsp+2],0 */
    };
    for (unsigned f = 0; f < sizeof(faulting) / sizeof(faulting[0]); f++) {
        uint8_t code[16];
        struct run r;
        memcpy(code, pre, sizeof(pre));
        memcpy(code + sizeof(pre), faulting[f] + 1, faulting[f][0]);
        assert_int_equal(run_all(*state, code, sizeof(pre) + faulting[f][0], 0, 0, &r), EXC_GP);
    }
}

/* CR0.TS: #NM, before the alignment check; CR0.EM and !CR4.OSFXSR: #UD. */
static void test_sse_unavailable(void **state)
{
    static const uint8_t forms[][8] = {
        { 4, 0x66, 0x0f, 0xef, 0xc1 },                         /* pxor xmm0,xmm1 */
        { 5, 0xf3, 0x0f, 0x6f, 0x04, 0x24 },                   /* movdqu xmm0,[rsp] */
        { 4, 0x66, 0x0f, 0x6e, 0xc0 },                         /* movd xmm0,eax */
        { 4, 0x66, 0x0f, 0xd7, 0xc3 },                         /* pmovmskb eax,xmm3 */
        { 6, 0x66, 0x0f, 0x6f, 0x44, 0x24, 0x01 },             /* movdqa xmm0,[rsp+1] */
    };
    for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        struct run r;
        assert_int_equal(run_all(*state, forms[f] + 1, forms[f][0], CR0_TS, 0, &r), EXC_NM);
        assert_int_equal(run_all(*state, forms[f] + 1, forms[f][0], CR0_EM, 0, &r), EXC_UD);
        assert_int_equal(run_all(*state, forms[f] + 1, forms[f][0], 0, CR4_OSFXSR, &r), EXC_UD);
        assert_int_equal(run_all(*state, forms[f] + 1, forms[f][0], 0, 0, &r), f == 4 ? EXC_GP : -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_block),
        cmocka_unit_test(test_sse_misaligned),
        cmocka_unit_test(test_sse_unavailable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
