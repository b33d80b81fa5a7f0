/* Differential ISA tests: shared types of the snippet generator, the two runners and the comparison. */
#ifndef VMON_TESTS_ISA_ISA_H
#define VMON_TESTS_ISA_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/soft/flat.h"

/* The fixed layout both runners use: guest linear address == host address. The code page is
 * followed directly by the data region so RIP-relative operands can reach it; guard pages around
 * both turn a stray access into #PF on the host as on the software CPU. Everything sits below
 * 2 GiB so absolute disp32 addressing and 32-bit address size (67h) reach it too. */
#define ISA_CODE_BASE   0x10000000ul
#define ISA_CODE_SIZE   8192ul          /* two pages: snippets may straddle the boundary */
#define ISA_DATA_BASE   (ISA_CODE_BASE + ISA_CODE_SIZE)
#define ISA_DATA_SIZE   8192ul          /* two pages: accesses may straddle the boundary */
#define ISA_STACK_TOP   (ISA_DATA_BASE + 0x1400)   /* rsp starts here, inside the data region */
#define ISA_MAX_CODE    96              /* snippet bytes; the native exit jump follows them */
#define ISA_MAX_FORMS   4               /* instructions per snippet */
#define ISA_MAX_INSNS   100000          /* soft runner's limit: snippets never loop */

/* RFLAGS bits compared: the arithmetic flags and DF. */
#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_OF 0x800u
#define FL_DF 0x400u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_ALL (FL_ARITH | FL_DF)

enum isa_class { CLS_INT, CLS_X87, CLS_SSE };

/* How an instruction form is encoded (isa_form.enc). */
enum {
    E_MODRM   = 1 << 0,     /* has a ModRM byte */
    E_MEM     = 1 << 1,     /* the r/m operand may be memory */
    E_REG     = 1 << 2,     /* the r/m operand may be a register */
    E_OPREG   = 1 << 3,     /* register in the opcode's low 3 bits (+REX.B) */
    E_LOCK    = 1 << 4,     /* lock prefix allowed on the memory form */
    E_BYTE    = 1 << 5,     /* 8-bit operands: registers 4-7 are ah..bh without REX */
    E_DEF64   = 1 << 6,     /* default operand size 64 (stack ops): sizes are 16 or 64 */
    E_FIXED   = 1 << 7,     /* ModRM byte is fixed: form.modrm */
    E_XREG    = 1 << 8,     /* ModRM.reg names an XMM register */
    E_XRM     = 1 << 9,     /* ModRM.rm (mod 3) names an XMM register */
    E_REP     = 1 << 10,    /* string op: generated with and without rep/repne */
    E_ALIGN   = 1 << 11,    /* 16-byte memory operand must be aligned (legacy SSE) */
    E_W       = 1 << 12,    /* REX.W chosen at random (SSE forms with a GPR operand) */
    E_NOW     = 1 << 13,    /* never REX.W */
    E_FPMEM   = 1 << 14,    /* x87 floating-point memory operand: often given a tame value */
    E_LOOSE   = 1 << 15,    /* x87 transcendental: results compared to within 2 ulp */
    E_MREG    = 1 << 16,    /* ModRM.reg names an MMX register (0-7, REX.R not used) */
    E_MRM     = 1 << 17,    /* ModRM.rm (mod 3) names an MMX register */
};

/* Operand sizes a form allows (isa_form.sizes). */
enum { S8 = 1, S16 = 2, S32 = 4, S64 = 8, SV = S16 | S32 | S64 };

/* Immediates (isa_form.imm). */
enum { I_NONE, I_B, I_W, I_Z, I_V, I_REL8, I_REL32, I_MOFFS, I_ENTER };

/* Operand set-ups the generator does beyond the ModRM operand (isa_form.fix). */
enum {
    FX_NONE, FX_STRING, FX_DIV, FX_IDIV, FX_SHIFT, FX_ROT, FX_RCX, FX_SHXD, FX_BTMEM, FX_RET, FX_CALLIND,
    FX_POPF, FX_LEAVE, FX_ENTER, FX_XLAT, FX_CX16, FX_FXRSTOR, FX_FXSAVE, FX_LDMXCSR, FX_BRANCH,
    FX_FLDENV, FX_FNSTENV, FX_FLDCW, FX_BSWAP, FX_BCD,
};

/* Flags whose values the architecture leaves undefined (isa_form.undef) and special rules. */
#define U_SHIFT  0x10000u   /* OF/AF rules of shifts by the count */
#define U_ROT    0x20000u   /* OF rule of rotates by the count */

struct isa_form {
    const char *name;
    uint8_t map;            /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
    uint8_t op;
    uint8_t pfx;            /* mandatory prefix 0x66/0xF2/0xF3, or 0 */
    int8_t ext;             /* ModRM.reg opcode extension, or -1 */
    uint32_t enc;
    uint8_t imm;
    uint8_t sizes;
    uint8_t modrm;          /* with E_FIXED */
    uint8_t fix;
    uint8_t cls;
    uint16_t memsize;       /* bytes the memory operand spans at most (0: operand size) */
    uint32_t undef;         /* undefined RFLAGS bits, plus U_* rules */
};

extern const struct isa_form isa_int_forms[];
extern const size_t isa_int_nforms;
extern const struct isa_form isa_x87_forms[];
extern const size_t isa_x87_nforms;
extern const struct isa_form isa_sse_forms[];
extern const size_t isa_sse_nforms;

/* All forms, indexed 0..isa_nforms()-1 across the three tables. */
size_t isa_nforms(void);
const struct isa_form *isa_form_at(size_t i);

/* A snippet: code, initial state and data region contents. */
struct snippet {
    uint8_t code[ISA_MAX_CODE];
    uint64_t start;                 /* address of code[0] in the code region */
    int len;                        /* stop_rip = start + len */
    int nforms;
    int forms[ISA_MAX_FORMS];       /* form index of each instruction */
    uint8_t ilen[ISA_MAX_FORMS];    /* and its length in bytes */
    uint32_t undef;                 /* RFLAGS bits not compared */
    uint16_t skip_off, skip_len;    /* data bytes not compared (implementation-specific fxsave fields) */
    bool x87_loose;                 /* x87 results compared to within 2 ulp (transcendentals) */
    struct flat_state init;
    uint8_t data[ISA_DATA_SIZE];
};

enum isa_status { OUT_NONE, OUT_DONE, OUT_FAULT, OUT_LIMIT, OUT_CRASH, OUT_NOSOFT };

/* What a runner leaves after a snippet. */
struct isa_out {
    struct flat_state st;
    int status;                     /* enum isa_status */
    int vector;                     /* exception vector with OUT_FAULT; signal with OUT_CRASH */
    uint8_t data[ISA_DATA_SIZE];
};

/* gen.c */
struct isa_rng { uint64_t s[2]; };
void rng_seed(struct isa_rng *r, uint64_t seed);
uint64_t rng_next(struct isa_rng *r);
static inline uint32_t rng_below(struct isa_rng *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }
uint64_t rng_value(struct isa_rng *r);      /* a register value with edge cases favoured */
/* Fill s with one snippet: the form `form` (or random forms when form < 0) in a random state. */
void gen_snippet(struct isa_rng *r, struct snippet *s, int form, bool sequence);

/* runners: run snippets [0, n) in a child process, out[i] receives each result. */
void native_run_batch(const struct snippet *s, struct isa_out *out, int n);
void soft_run_batch(const struct snippet *s, struct isa_out *out, int n, const struct flat_cpu *cpu);
bool soft_present(void);

/* Maps the code and data regions at their fixed addresses in this process (children inherit). */
int isa_map_regions(void);
void isa_install(const struct snippet *s);

/* batch.c: runs one(i) for i in [0, n) in forked children, restarting after a child dies. */
void batch_fork(int n, void (*one)(void *arg, int i), void (*died)(void *arg, int i, int sig), void *arg);

/* compare.c */
struct isa_diff { char text[4096]; };
bool isa_compare(const struct snippet *s, const struct isa_out *nat, const struct isa_out *soft,
                 struct isa_diff *d);
void isa_print_snippet(const struct snippet *s, const struct isa_out *nat, const struct isa_out *soft,
                       const struct isa_diff *d);
int isa_disasm(const uint8_t *code, size_t len, uint64_t addr, char *buf, size_t bufsz, int *lens, int maxn);

#endif
