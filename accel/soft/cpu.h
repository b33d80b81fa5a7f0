/* The software CPU's state, its decoded-instruction form and the helpers every handler uses. */
#ifndef VMON_ACCEL_SOFT_CPU_H
#define VMON_ACCEL_SOFT_CPU_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "machine/accel.h"
#include "accel/cpu-model.h"

/* RFLAGS bits (SDM vol. 1, 3.4.3). */
#define F_CF   0x0001u
#define F_PF   0x0004u
#define F_AF   0x0010u
#define F_ZF   0x0040u
#define F_SF   0x0080u
#define F_TF   0x0100u
#define F_IF   0x0200u
#define F_DF   0x0400u
#define F_OF   0x0800u
#define F_IOPL 0x3000u
#define F_NT   0x4000u
#define F_RF   0x10000u
#define F_VM   0x20000u
#define F_AC   0x40000u
#define F_VIF  0x80000u
#define F_VIP  0x100000u
#define F_ID   0x200000u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

#define CR0_PE 0x1u
#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_ET 0x10u
#define CR0_NE 0x20u
#define CR0_WP 0x10000u
#define CR0_AM 0x40000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u

#define CR4_VME 0x1u
#define CR4_PVI 0x2u
#define CR4_TSD 0x4u
#define CR4_DE  0x8u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_MCE 0x40u
#define CR4_PGE 0x80u
#define CR4_PCE 0x100u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u
#define CR4_UMIP 0x800u
#define CR4_LA57 0x1000u
#define CR4_FSGSBASE 0x10000u
#define CR4_PCIDE 0x20000u
#define CR4_OSXSAVE 0x40000u
#define CR4_SMEP 0x100000u
#define CR4_SMAP 0x200000u
#define CR4_PKE 0x400000u

#define EFER_SCE 0x1u
#define EFER_LME 0x100u
#define EFER_LMA 0x400u
#define EFER_NXE 0x800u

/* Exception vectors (SDM vol. 3, table 6-1). */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6, EXC_NM = 7,
    EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16,
    EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

/* Segment attributes packed as AMD's VMCB does (APM vol. 2, 15.5.1): type, S, DPL, P, AVL, L, D/B, G. */
#define SEG_A_TYPE(a) ((a) & 0xf)
#define SEG_A_S   0x10u
#define SEG_A_DPL(a) (((a) >> 5) & 3)
#define SEG_A_P   0x80u
#define SEG_A_AVL 0x100u
#define SEG_A_L   0x200u
#define SEG_A_DB  0x400u
#define SEG_A_G   0x800u

struct seg_cache {
    uint64_t base;
    uint32_t limit;            /* bytes - 1, G already applied */
    uint16_t sel;
    uint16_t attr;             /* SEG_A_* */
};

/* Lazy flags: the arithmetic flags are computed from the last operation only when someone reads them
 * (the idea of QEMU's cc_op and Bochs's lazy flags). LF_NONE means cpu->flags already holds them. */
enum lazy_op { LF_NONE, LF_ADD, LF_SUB, LF_LOGIC, LF_INC, LF_DEC,
               LF_SHIFT /* SZP of res, CF = src1, OF = src2, AF = 0 (shifts, mul) */,
               /* Rotates change CF and OF only: res and size stay those of the operation before
                * (SZP still come from them), AF is that operation's, kept in cin. */
               LF_ROT /* SZP of res, CF = src1, OF = src2, AF = cin */ };

struct lazy_flags {
    uint64_t res, src1, src2;  /* for ADD/SUB: res = src1 +/- src2 (+/- cin) */
    uint8_t cin;               /* carry (borrow) in of adc/sbb; the preserved CF of inc/dec */
    uint8_t op;                /* enum lazy_op */
    uint8_t size;              /* operand bytes: 1, 2, 4, 8 */
};

union xmm_reg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
    float f[4];
    double fd[2];
};

/* An x87 register as the host's long double (the same 80-bit format); MMX aliases the mantissa. */
union x87_reg {
    long double f;
    struct { uint64_t mant; uint16_t sexp; } r;
    uint8_t b[16];
};

struct fpu {
    union x87_reg st[8];       /* physical registers R0..R7; ST(i) is R[(top + i) & 7] */
    uint16_t fcw, fsw;         /* fsw's TOP field is kept in top, merged on read */
    uint16_t ftw;              /* full tag word, 2 bits per physical register (11 = empty) */
    uint8_t top;
    uint16_t fop;
    uint64_t fip, fdp;
};

/* One entry of the soft TLB: a guest virtual page mapped straight to a host pointer. A tag is the
 * page's linear address, or TLB_INVALID; the write tag is only set once the page's D bit is set and
 * the page holds no translated code, so every other write takes the slow path. */
#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_MAP_WORDS (TLB_SIZE / 64)
#define TLB_INVALID 1ull
struct tlb_entry {
    uint64_t tag_read, tag_write, tag_exec;
    uintptr_t host;            /* host address of the page */
    uint64_t gpa;              /* guest physical address of the page */
    uintptr_t addend;          /* host - the page's linear address: lin + addend is its host byte */
    uint8_t global;            /* 1: a global page (CR4.PGE), kept across CR3 writes */
    uint8_t shift;             /* log2 of the guest page size it came from: 12, 21, 22 or 30 */
    uint8_t pad[14];           /* to 64 bytes: the translator indexes the TLB by a shift */
};
#define TLB_ENTRY_SHIFT 6
_Static_assert(sizeof(struct tlb_entry) == 1u << TLB_ENTRY_SHIFT, "TLB entries are 64 bytes");

struct insn;
struct cpu;
struct tb;
typedef void (*op_fn)(struct cpu *c, const struct insn *i);

/* The decoded form of one instruction: decode once, execute many times. */
struct insn {
    op_fn fn;                  /* the handler, from the opcode table */
    uint16_t op;               /* 0x000-0x0ff one-byte map, 0x100 0F, 0x200 0F38, 0x300 0F3A */
    uint8_t len;               /* bytes */
    uint8_t opsize;            /* 2, 4 or 8 (byte forms are told by the opcode) */
    uint8_t addrsize;          /* 2, 4 or 8 */
    uint8_t modrm;             /* raw byte, 0 when there is none */
    uint8_t mod;               /* 0-3; 3 = register operand */
    uint8_t reg;               /* ModRM.reg with REX.R (0-15) */
    uint8_t rm;                /* ModRM.rm with REX.B when mod == 3 */
    uint8_t base, index;       /* registers with REX.B/X; NO_REG when absent, RIP_REG for RIP-relative */
    uint8_t scale;             /* shift count 0-3 */
    uint8_t seg;               /* SEG_* of the memory operand (override or default) */
    uint8_t rep;               /* 0, 0xf2 or 0xf3 (last of the two seen) */
    uint8_t pfx;               /* mandatory-prefix selector for SSE maps: 0 none, 1 66, 2 F3, 3 F2 */
    uint8_t rex;               /* the REX byte, 0 if none */
    uint8_t lock : 1, has_modrm : 1, byte_regs_rex : 1, seg_override : 1, opsize_pfx : 1;
    uint8_t form;              /* enum insn_form: the specialized shape decode picked (fast-move.c) */
    int32_t disp;
    uint64_t imm;              /* first immediate (sign-extended where the form says so) */
    uint16_t imm2;             /* enter's second immediate, far pointer's selector */
};
#define NO_REG 0xff
#define RIP_REG 0xfe

/* The shapes decode_specialize recognizes in 64-bit code, named so the translator (jit.c) can emit
 * host code for them instead of a call; FORM_NONE: only the handler knows what to do. */
enum insn_form {
    FORM_NONE,
    FORM_MOV_RR64, FORM_MOV_RR32,          /* rm <- reg */
    FORM_MOV_RI64, FORM_MOV_RI32,          /* b8+r: register in op & 7 (+ REX.B) */
    FORM_MOV_RMI64,                        /* c7 /0 with a register: rm <- imm */
    FORM_ALU_RR64, FORM_ALU_RR32,          /* rm <- rm op reg (op from opcode bits 5:3) */
    FORM_ALU_RI64, FORM_ALU_RI32,          /* rm <- rm op imm (op from ModRM.reg) */
    FORM_ALU_RM64, FORM_ALU_RM32,          /* reg <- reg op [mem] */
    FORM_ALU_MR64, FORM_ALU_MR32,          /* [mem] <- [mem] op reg */
    FORM_ALU_MI64, FORM_ALU_MI32,          /* [mem] <- [mem] op imm */
    FORM_TEST_RR64, FORM_TEST_RR32,
    FORM_LOAD64, FORM_LOAD32, FORM_STORE64, FORM_STORE32,
    FORM_MOV_MI64, FORM_MOV_MI32,
    FORM_LEA64, FORM_LEA32,                /* lea: the 32-bit one is the address truncated */
    FORM_INCDEC64, FORM_INCDEC32,          /* ff /0, ff /1 with a register */
    FORM_JCC, FORM_JMP, FORM_CALL64, FORM_RET64, FORM_PUSH64, FORM_POP64,
};

/* What the CPU core asks of its surroundings: guest physical memory, I/O, interrupts. The VM
 * (soft.c) and the flat runner (flat.c) each provide one. */
/* PHYS_ROM: read and executed like RAM, its writes go to the MMIO path (which drops them). */
enum phys_kind { PHYS_RAM, PHYS_MMIO, PHYS_NONE, PHYS_ROM };
static inline bool phys_is_mem(enum phys_kind k) { return k == PHYS_RAM || k == PHYS_ROM; }
struct cpu_env_ops {
    /* Host pointer of the 4 KiB guest page at gpa (page aligned); *writable false for ROM-like. */
    enum phys_kind (*phys_page)(struct cpu *c, uint64_t gpa, uint8_t **host, bool *writable);
    uint64_t (*mmio_read)(struct cpu *c, uint64_t gpa, unsigned size);
    void (*mmio_write)(struct cpu *c, uint64_t gpa, uint64_t val, unsigned size);
    uint64_t (*pio_in)(struct cpu *c, uint16_t port, unsigned size);
    void (*pio_out)(struct cpu *c, uint16_t port, uint64_t val, unsigned size);
    /* Highest-priority pending external interrupt vector, or -1; ack takes it (LAPIC/PIC INTA). */
    int (*irq_pending)(struct cpu *c);
    int (*irq_ack)(struct cpu *c);
    /* MSRs owned by the platform (x2APIC, TSC deadline); return false when unhandled. */
    bool (*msr_read)(struct cpu *c, uint32_t msr, uint64_t *val);
    bool (*msr_write)(struct cpu *c, uint32_t msr, uint64_t val);
    void (*set_tpr)(struct cpu *c, unsigned tpr);   /* CR8 writes */
    unsigned (*get_tpr)(struct cpu *c);
    /* The guest TSC before this vCPU's offset; NULL: host monotonic time at 2 GHz. */
    uint64_t (*read_tsc)(struct cpu *c);
    /* Counted events for --exit-stats (enum exit_reason); may be NULL. */
    void (*count_event)(struct cpu *c, int reason, uint64_t addr);
    /* The RAM page holding host (phys_page's pointer, or one into its page) and a live migration's
     * dirty log (mm/dirty.h): writing:
     * the CPU writes it now (it is marked); else: may the TLB cache a write shortcut for it (true
     * when no log runs or the page is marked already, so a shortcut never skips a mark). NULL:
     * always true. */
    bool (*ram_write)(struct cpu *c, const uint8_t *host, bool writing);
};


/* Why cpu_exec returned. */
enum cpu_stop { STOP_NONE, STOP_HLT, STOP_KICK, STOP_SHUTDOWN, STOP_BREAK, STOP_FAULT, STOP_LIMIT };

struct tb_cache;
struct code_pages;

struct cpu {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t flags;            /* RFLAGS; the arithmetic bits are valid only when lf.op == LF_NONE */
    struct lazy_flags lf;
    struct seg_cache seg[SEG_COUNT];
    struct dtable_state gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, efer, xcr0;
    uint32_t pkru;             /* protection-key rights for user pages (CR4.PKE): AD, WD per key */
    uint64_t kvm_system_time, kvm_wall_clock;   /* kvm=on: the kvmclock MSRs (paravirt.c) */
    uint8_t tpr;               /* CR8 when no platform provides one */
    uint8_t cpl;
    uint8_t code_size;         /* 2, 4, 8: the decode mode, from CS and EFER.LMA */
    uint8_t stack_size;        /* 2, 4, 8: from SS.B (8 in 64-bit mode) */
    uint8_t db_hits;           /* data breakpoints hit by the current instruction (DR6 B0-B3) */
    uint64_t dr[8];
    /* Host-side debugging (machine/accel.h's struct vcpu_debug, debug.c): while hdr7 enables a
     * breakpoint, DR0-DR3/DR7 matching uses hdr[]/hdr7 and a hit stops cpu_exec (hstop, hhits)
     * instead of raising #DB; hstep stops after each instruction, hswbp on int3. */
    uint64_t hdr[4], hdr7;
    bool hstep, hswbp;
    uint8_t hstop;             /* enum vcpu_debug_kind of the stop, VCPU_DBG_NONE */
    uint8_t hhits;

    union xmm_reg xmm[16];
    uint32_t mxcsr;
    struct fpu fpu;

    /* MSRs (msr.c). */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, apic_base, misc_enable, tsc_offset, tsc_aux, mtrr_def_type, mtrr[32];
    uint64_t tsc_deadline, spec_ctrl, mcg_status, efer_unused;

    /* The instruction being executed: faults rewind rip to its start. */
    uint64_t insn_rip;
    const struct insn *cur;
    jmp_buf jmp;
    /* Exception in flight (exec.c). */
    int exc_vector;
    bool exc_has_err, exc_soft;
    uint32_t exc_err;
    int delivering;            /* vector being delivered, -1 when none: for #DF and triple fault */

    /* Execution state (exec.c). The first eight bytes, halted to kick, are the vCPU's attention
     * word (TCG's exit_request in spirit): chained blocks (jit-chain.c) test them with one 64-bit
     * compare, and any of them set sends the next block through cpu_exec. Other threads write
     * only kick, after the condition it announces (a stop request, an interrupt request); cpu_exec
     * clears attn and soft.c clears kick before they look at the real conditions, so an event
     * that lands between the look and the clear is never lost. */
    _Alignas(8) bool halted;
    bool nmi_pending;
    bool irq_shadow;           /* after sti / mov ss / pop ss: no interrupt before the next insn */
    uint8_t dr_armed;          /* DB_ARMED_* (debug.h): DR7 enables a breakpoint */
    bool attn;                 /* this thread: look between blocks (TF set, or IF set with an
                                * interrupt maybe pending: cpu_attend_flags) */
    _Atomic uint8_t kick;      /* another thread wants us to look at stop requests / interrupts */
    _Atomic uint8_t code_attn; /* another vCPU made a page code (tb.c): look at the code epoch */
    uint8_t attn_pad;
    bool nmi_blocked;          /* from NMI delivery to the next iret (SDM vol. 3, 6.7.1) */
    bool db_shadow;            /* after mov ss / pop ss: no single-step trap before the next insn */
    bool tf_after;             /* the insn delivered an event or was syscall/sysret: its single-step
                                * trap follows TF after it, not before it (debug.c) */
    bool sysret_tf;            /* sysret loaded TF=1: the single-step trap is due before the next
                                * insn, even where sysret itself ran outside db_step */
    bool tb_end;               /* set by handlers that change the mode: end the block after them */
    bool triple_fault;
    bool user_stop;            /* flat runner: rip reached its stop address */
    bool no_deliver;           /* flat runner: exceptions end cpu_exec instead of being delivered */
    bool has_stop_rip;         /* flat runner: stop_rip is set (every rip value is a valid address) */
    uint64_t stop_rip;         /* flat runner: stop before executing this address */
    _Atomic int *stop_flag;    /* non-zero: leave cpu_exec (vm->leave: a stop or a pause; set with a kick) */
    /* The interrupt controller's "maybe pending" flag (struct vcpu_lapic's irq_hint,
     * machine/accel.h), read by cpu_exec between blocks (chained blocks see its kick); NULL: none. */
    _Atomic bool *irq_line;
    /* Instructions executed: exact where translated code looks at the budget (icount_limit); in a
     * VM's vCPU (kick_only) blocks that translated code chains or links into, and its early exits,
     * leave it alone (cpu_exec counts only the block it enters), so it counts fewer than ran and
     * never goes back: only cpu_exec's slice looks at it there, and a loop's back edge or a link
     * carries no read-modify-write of it from one block to the next. */
    uint64_t icount;

    /* Soft TLB: [0] supervisor accesses, [1] user accesses (CPL 3). */
    struct tlb_entry tlb[2][TLB_SIZE];
    unsigned code_epoch_seen;
    unsigned map_epoch_seen;   /* code_pages' map_epoch the TLB was filled under */
    /* Which entries the flushes must visit (tlb.c), a bit per entry of each TLB: filled since the
     * last full flush (tlb_used), with a non-global translation since the last flush of those
     * (tlb_ng), from a large page (tlb_big). A flush then costs what was filled since the last,
     * not the TLB's size; tlb_ready: the entries were all made invalid once (the first flush). */
    uint64_t tlb_used[2][TLB_MAP_WORDS], tlb_ng[2][TLB_MAP_WORDS], tlb_big[2][TLB_MAP_WORDS];
    bool tlb_ready;
    /* Linear addresses blocks were fetched from since the last full TLB flush: 2 MiB regions for
     * fetches through large pages (hashed, 4096 bits), 4 KiB pages for the others (hashed, 32768
     * bits). An invlpg elsewhere cannot change where a chain leads. (A 2 MiB granule for every
     * fetch made a copy-on-write fault's invlpg in a program's data, in the same 2 MiB as its code,
     * drop every chain, the kernel's included: ~540 times in a Linux boot.) */
    uint64_t code_regions[64];
    uint64_t code_pages[512];

    struct tb_cache *tbs;      /* this vCPU's translation blocks */
    uint64_t icount_limit;     /* cpu_exec returns when icount reaches it (translated code looks,
                                * unless kick_only) */
    bool kick_only;            /* a VM's vCPU: everything that must end cpu_exec comes with a kick,
                                * so chained blocks do not look at icount_limit (soft.c) */
    uint32_t jit_hot;          /* runs of a block before it is translated to host code (jit.h) */
    struct tb *last_tb;        /* the block just run, for chaining (exec.c) */
    uint8_t *link_site;        /* a direct-link site to (re)link to the block at link_rip */
    uint64_t link_rip;         /* (jit-link.c; NULL: none; cleared by next_tb and tb_flush) */
    uint32_t chain_epoch;      /* bumped when virtual->block mappings may change (tb.h) */
    uint32_t chain_epoch_ng;   /* bumped when only non-global mappings may change (CR3 writes) */
    bool fetch_global;         /* the page of the last block looked up is global */
    /* The rip, privilege and epochs (chain_epochs()) the block in last_tb was entered under:
     * next_tb's same-page chaining (exec.c). Set by cpu_exec, and by translated code on its
     * way out for the last block it chained into. */
    uint64_t entry_rip;
    uint64_t entry_epochs;
    uint8_t entry_cpl;
    uint64_t chain_cs_base;    /* CS base and code size the current chains were made under */
    uint8_t chain_code_size;
    struct code_pages *pages;  /* shared by the vCPUs of a VM: which pages hold code */

    const struct cpu_env_ops *env;
    void *opaque;              /* the env's own data (struct vcpu, flat region table) */
    int id;
    uint32_t apic_id;          /* initial APIC id (accel/cpu-model.h's topology packing) */
    /* Whose behaviour to follow where Intel and AMD differ (accel/cpu-model.h); CPUID reports it. */
    enum cpu_vendor vendor;
    /* The model and topology CPUID follows; NULL: the default model of vendor, one CPU. */
    const struct cpu_model *model;
    const struct cpu_topology *topo;
    /* --cpu-features edits (accel/kvm/cpuid.h's names), applied to every CPUID answer. */
    const struct cpuid_edit *cpuid_edits;
    int ncpuid_edits;
    /* The model's large-page features the page walk asks about (mmu.c), read from CPUID on first
     * use: MMU_FEAT_KNOWN clear means not yet; whoever changes model or edits clears it. */
    uint8_t mmu_feats;
    void *trace;               /* FILE * for --trace, or NULL */
    bool warned_ud;            /* report unimplemented instructions once */
    uint64_t rdrand_state;
};

/* ---- faults (exec.c) ---- */
_Noreturn void cpu_raise(struct cpu *c, int vector, bool has_err, uint32_t err);
_Noreturn void cpu_raise_ud(struct cpu *c);
/* A 64-bit linear address is canonical when bits 63..47 are all equal (SDM vol. 1, 3.3.7.1), or
 * bits 63..56 with 5-level paging (CR4.LA57, vol. 3, 4.5.1). The shift is done unsigned: shifting
 * a negative signed value left is undefined. */
static inline bool cpu_canonical(const struct cpu *c, uint64_t v)
{
    unsigned sh = (c->cr4 & CR4_LA57) ? 7 : 16;
    return (uint64_t)((int64_t)(v << sh) >> sh) == v;
}

static inline _Noreturn void cpu_raise_gp(struct cpu *c, uint32_t err) { cpu_raise(c, EXC_GP, true, err); }
/* An opcode we do not implement: #UD in the guest, reported once on stderr with its bytes. */
_Noreturn void cpu_unimplemented(struct cpu *c, const struct insn *i);

/* ---- flags (flags.c) ---- */
uint64_t cpu_get_flags(struct cpu *c);          /* full RFLAGS, arithmetic bits materialized */
void cpu_set_flags(struct cpu *c, uint64_t f);  /* all bits, no privilege checks */
/* After a write that may have set TF or IF (old: the flags before it): chained blocks stop for
 * cpu_exec when single-stepping starts or an interrupt request waits for IF. */
void cpu_attend_flags(struct cpu *c, uint64_t old);
/* popf/iret: only the bits the current privilege may change (SDM vol. 2, POPF). */
void flags_write_checked(struct cpu *c, uint64_t v, unsigned size);
bool cpu_cond(struct cpu *c, unsigned cc);      /* Jcc/SETcc/CMOVcc condition 0-15 */
static inline bool cpu_cf(struct cpu *c);
static inline void lf_set(struct cpu *c, enum lazy_op op, unsigned size, uint64_t res,
                          uint64_t s1, uint64_t s2)
{
    c->lf.op = (uint8_t)op;
    c->lf.cin = 0;
    c->lf.size = (uint8_t)size;
    c->lf.res = res;
    c->lf.src1 = s1;
    c->lf.src2 = s2;
}
/* Replace the arithmetic flags with explicit values (for shifts, mul, bit ops...). */
static inline void flags_set_arith(struct cpu *c, uint64_t arith)
{
    if (c->lf.op != LF_NONE)
        c->lf.op = LF_NONE;
    c->flags = (c->flags & ~(uint64_t)F_ARITH) | (arith & F_ARITH);
}
uint64_t flags_arith(struct cpu *c);            /* just the six arithmetic bits */
unsigned parity8(uint64_t v);                   /* F_PF if the low byte has even parity */

/* ---- operand sizes ---- */
static inline uint64_t size_mask(unsigned size);

static inline uint64_t size_mask(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
static inline uint64_t sign_bit(unsigned size) { return 1ull << (size * 8 - 1); }
static inline int64_t sext(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

/* CF alone, cheaply: adc/sbb/inc/dec/rcl ask for it often. */
static inline bool cpu_cf(struct cpu *c)
{
    const struct lazy_flags *l = &c->lf;
    uint64_t mask = size_mask(l->size);
    uint64_t r = l->res & mask, a = l->src1 & mask, b = l->src2 & mask;
    switch (l->op) {
    case LF_ADD: return l->cin ? r <= a : r < a;
    case LF_SUB: return l->cin ? a <= b : a < b;
    case LF_LOGIC: return false;
    case LF_INC: case LF_DEC: return l->cin;  /* the CF they preserved */
    case LF_SHIFT: case LF_ROT: return l->src1 != 0;
    default: return (c->flags & F_CF) != 0;
    }
}

/* cpu_cond's common cases inline: after cmp/sub (no borrow in) every condition but O, S and P
 * comes from the operands, after a logic operation (CF = OF = 0) every one but P from the result,
 * after add the carry from result and operand; after any recorded operation ZF from the result.
 * Shifting both operands left by 64 - bits puts their sign bits at bit 63, so signed compares
 * need no sign extension. */
static inline bool cpu_cond_fast(struct cpu *c, unsigned cc)
{
    const struct lazy_flags *l = &c->lf;
    unsigned sh = 64 - 8 * l->size;
    if (l->op == LF_SUB && !l->cin) {
        uint64_t a = l->src1 << sh, b = l->src2 << sh;
        switch (cc >> 1) {
        case 1: return (a < b) != (cc & 1);
        case 2: return (a == b) != (cc & 1);
        case 3: return (a <= b) != (cc & 1);
        case 6: return ((int64_t)a < (int64_t)b) != (cc & 1);
        case 7: return ((int64_t)a <= (int64_t)b) != (cc & 1);
        default: break;
        }
    } else if (l->op == LF_LOGIC) {
        int64_t r = (int64_t)(l->res << sh);
        switch (cc >> 1) {
        case 0: case 1: return cc & 1;                      /* OF, CF = 0 */
        case 2: case 3: return (r == 0) != (cc & 1);        /* Z, BE = Z */
        case 4: case 6: return (r < 0) != (cc & 1);         /* S, L = S != 0 */
        case 7: return (r <= 0) != (cc & 1);                /* LE = Z or S */
        default: break;
        }
    } else if (l->op == LF_ADD && !l->cin && (cc >> 1) == 1) {
        return ((l->res << sh) < (l->src1 << sh)) != (cc & 1);
    } else if (l->op != LF_NONE && (cc >> 1) == 2) {
        return ((l->res << sh) == 0) != (cc & 1);
    }
    return cpu_cond(c, cc);
}

/* ---- registers by size: writes to a 32-bit register zero the upper half (SDM vol. 1, 3.4.1.1) ---- */
static inline uint64_t reg_read(struct cpu *c, unsigned r, unsigned size)
{
    return c->gpr[r] & size_mask(size);
}
static inline void reg_write(struct cpu *c, unsigned r, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: c->gpr[r] = (c->gpr[r] & ~0xffull) | (v & 0xff); break;
    case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: c->gpr[r] = (uint32_t)v; break;
    default: c->gpr[r] = v; break;
    }
}
/* 8-bit registers: without REX, numbers 4-7 name AH, CH, DH, BH. */
static inline uint8_t reg8_read(struct cpu *c, const struct insn *i, unsigned r)
{
    if (r >= 4 && r < 8 && !i->rex)
        return (uint8_t)(c->gpr[r - 4] >> 8);
    return (uint8_t)c->gpr[r];
}
static inline void reg8_write(struct cpu *c, const struct insn *i, unsigned r, uint8_t v)
{
    if (r >= 4 && r < 8 && !i->rex)
        c->gpr[r - 4] = (c->gpr[r - 4] & ~0xff00ull) | ((uint64_t)v << 8);
    else
        c->gpr[r] = (c->gpr[r] & ~0xffull) | v;
}
static inline uint64_t greg_read(struct cpu *c, const struct insn *i, unsigned r, unsigned size)
{
    return size == 1 ? reg8_read(c, i, r) : reg_read(c, r, size);
}
static inline void greg_write(struct cpu *c, const struct insn *i, unsigned r, unsigned size, uint64_t v)
{
    if (size == 1)
        reg8_write(c, i, r, (uint8_t)v);
    else
        reg_write(c, r, size, v);
}

/* ---- memory (mem.c, mmu.c) ---- */
enum access { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };
/* Effective address (segment offset) of the ModRM memory operand, masked to the address size. */
uint64_t insn_ea(struct cpu *c, const struct insn *i);
/* Segment offset -> linear address with the segment's checks (limit in legacy modes). */
uint64_t seg_linear(struct cpu *c, int seg, uint64_t off, unsigned size, enum access acc);
/* Linear-address accesses; user says whether U/S checks apply (CPL 3 and not a system access). */
uint64_t lin_read(struct cpu *c, uint64_t lin, unsigned size, bool user);
void lin_write(struct cpu *c, uint64_t lin, unsigned size, uint64_t v, bool user);
/* Segment:offset accesses at the CPU's current privilege, size 1, 2, 4 or 8. */
uint64_t mem_read(struct cpu *c, int seg, uint64_t off, unsigned size);
void mem_write(struct cpu *c, int seg, uint64_t off, unsigned size, uint64_t v);
/* Any size in bytes (16 for XMM, 10 for x87, 512 for fxsave...), all-or-nothing per page. */
void mem_read_buf(struct cpu *c, int seg, uint64_t off, void *dst, unsigned size);
void mem_write_buf(struct cpu *c, int seg, uint64_t off, const void *src, unsigned size);
/* Check that [off, off+size) can be written, faulting now if not (before any side effect). */
void mem_probe_write(struct cpu *c, int seg, uint64_t off, unsigned size);
/* A host pointer to size bytes at a linear address for an atomic read-modify-write, or NULL when
 * the access is not to RAM or crosses a page (then the caller falls back to read + write). */
void *lin_host_rmw(struct cpu *c, uint64_t lin, unsigned size);
/* With paging off: the TLB entry of lin's page filled ahead of any access (read, and write when
 * the page is writable RAM), as a first access would fill it; nothing for MMIO or holes. Never
 * faults. The flat runner's warm start (flat.c), so translated code finds its pages mapped. */
void tlb_prefill(struct cpu *c, uint64_t lin);

/* ModRM operand r/m of the given size: register or memory. */
uint64_t rm_read(struct cpu *c, const struct insn *i, unsigned size);
void rm_write(struct cpu *c, const struct insn *i, unsigned size, uint64_t v);
static inline uint64_t ea_linear_rmw(struct cpu *c, const struct insn *i, unsigned size)
{
    return seg_linear(c, i->seg, insn_ea(c, i), size, ACC_WRITE);
}

/* ---- MMU (mmu.c) ---- */
/* Translate a linear address, setting A/D bits; faults with #PF unless probe (then returns false
 * and touches nothing). *prot gets the PROT_* the same mapping allows at this privilege. */
enum { PROT_R = 1, PROT_W = 2, PROT_X = 4, PROT_LARGE = 8, PROT_GLOBAL = 16 };
#define PROT_PAGE_SHIFT(prot) ((prot) >> 8)   /* log2 of the page size, in bits 8 and up */
bool mmu_pdptes_valid(struct cpu *c, uint64_t cr3);
bool mmu_translate(struct cpu *c, uint64_t lin, enum access acc, bool user, uint64_t *gpa,
                   unsigned *prot, bool probe);
void tlb_flush(struct cpu *c);
void tlb_flush_nonglobal(struct cpu *c);   /* a CR3 write with CR4.PGE: global pages stay */
void tlb_flush_page(struct cpu *c, uint64_t lin);
void tlb_flush_data(struct cpu *c);          /* data rights changed (PKRU): fetches keep theirs */
void tlb_flush_gpa(struct cpu *c, uint64_t gpa_page);
void tlb_filled(struct cpu *c, bool user, uint64_t lin, unsigned prot);   /* (mem.c, tb.c) */
void tlb_drop_writes(struct cpu *c);          /* every write shortcut */
static inline bool cpu_user(struct cpu *c) { return c->cpl == 3; }

/* Both chain epochs as one word: chain_epoch low, chain_epoch_ng high (translated code loads it
 * so). */
static inline uint64_t chain_epochs(const struct cpu *c)
{
    return c->chain_epoch | (uint64_t)c->chain_epoch_ng << 32;
}
static inline bool cpu_long64(struct cpu *c) { return c->code_size == 8; }
static inline bool cpu_paging(struct cpu *c) { return (c->cr0 & CR0_PG) != 0; }

/* ---- stack (op-stack.c) ---- */
void stack_push(struct cpu *c, unsigned size, uint64_t v);
uint64_t stack_pop(struct cpu *c, unsigned size);
uint64_t stack_pointer(struct cpu *c);

/* ---- modes and segments (seg.c) ---- */
void cpu_update_mode(struct cpu *c);            /* recompute code/stack size after CS/SS/CR0/EFER */
void seg_load_real(struct cpu *c, int seg, uint16_t sel);
void seg_load(struct cpu *c, int seg, uint16_t sel);   /* mov sreg / pop sreg rules */
bool seg_read_desc(struct cpu *c, uint16_t sel, uint64_t desc[2], bool sys16, uint32_t err_vec);
void seg_from_desc(struct seg_cache *s, uint16_t sel, const uint64_t desc[2]);
void seg_far_jump(struct cpu *c, uint16_t sel, uint64_t off, unsigned opsize, bool call);
void seg_far_ret(struct cpu *c, unsigned opsize, uint16_t pop_bytes);
void seg_iret(struct cpu *c, unsigned opsize);
void seg_load_tr(struct cpu *c, uint16_t sel);
/* A descriptor read for ltr or a task switch must be an available 16/32-bit TSS (system, type 1
 * or 9: #GP(err)) and present (#NP(err)). */
void seg_check_avail_tss(struct cpu *c, const uint64_t d[2], uint32_t err);
void seg_load_ldt(struct cpu *c, uint16_t sel);
uint64_t seg_desc_get_base(const uint64_t desc[2]);

/* ---- control registers, MSRs, CPUID ---- */
void cpu_set_cr0(struct cpu *c, uint64_t v);
void cpu_set_cr3(struct cpu *c, uint64_t v);
void cpu_set_cr4(struct cpu *c, uint64_t v);
bool msr_read(struct cpu *c, uint32_t msr, uint64_t *val);
bool msr_write(struct cpu *c, uint32_t msr, uint64_t val);
void cpuid_query(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);
/* paravirt.c: KVM's paravirtual interface under -cpu ...,kvm=on. pv_cpuid fills leaves
 * 0x40000000-1 (true); pv_msr_read/write: 1 handled, 0 not a kvmclock MSR (or kvm=off);
 * pv_hypercall: false when kvm=off (the instruction is then #UD). */
bool pv_kvm_on(const struct cpu *c);
bool pv_cpuid(const struct cpu *c, uint32_t leaf, uint32_t out[4]);
int pv_msr_read(struct cpu *c, uint32_t msr, uint64_t *val);
int pv_msr_write(struct cpu *c, uint32_t msr, uint64_t v);
bool pv_hypercall(struct cpu *c);
/* pvclock's scale for a TSC at hz: ns = ((ticks << shift) * mul) >> 32 (shift < 0: >> -shift). */
void pv_tsc_scale(uint64_t hz, int8_t *shift, uint32_t *mul);
/* -ENOTSUP (err set) when --cpu-features asks for a feature this CPU does not implement. */
int cpuid_check_edits(const struct cpuid_edit *edits, int n, char *err, size_t errlen);
/* The features the software CPU implements, per accel/cpu-model.h word, for a model of vendor v. */
void cpuid_soft_have(enum cpu_vendor v, uint32_t have[CPU_WORDS]);
uint64_t cpu_rdtsc(struct cpu *c);

/* ---- interrupts and the loop (exec.c) ---- */
void cpu_reset(struct cpu *c);                  /* power-on state (SDM vol. 3, 9.1.1) */
/* Deliver an interrupt or exception through the IVT/IDT. next_rip is where iret returns. */
void cpu_deliver(struct cpu *c, int vector, bool has_err, uint32_t err, bool soft, uint64_t next_rip);
enum cpu_stop cpu_exec(struct cpu *c, uint64_t max_insns);
void cpu_dump(struct cpu *c, void *file);       /* registers + bytes at RIP, for crashes */
bool cpu_io_allowed(struct cpu *c, uint16_t port, unsigned size);
/* Whether cpu_exec has something to look at (a kick, a stop request, an NMI or an interrupt the CPU
 * could take): a long instruction (rep string) asks between iterations and gives way. */
bool cpu_wants_exit(struct cpu *c);

/* Every handler. */
#define OP(name) void name(struct cpu *c, const struct insn *i)

/* The CPU wrote the RAM page holding host outside the TLB (a page-table A/D bit, kvmclock). */
static inline void cpu_ram_written(struct cpu *c, const uint8_t *host)
{
    if (c->env->ram_write)
        c->env->ram_write(c, host, true);
}

#endif
