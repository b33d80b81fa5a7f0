/* The binary translator: one translation block of 64-bit guest code -> one host function.
 *
 * The host function keeps the vCPU pointer in rbx, the guest rip at block entry in r12 (blocks are
 * keyed by guest physical address, so the same block may run at different virtual addresses) and
 * the block's decoded instructions in r13. For each guest instruction it emits either
 *   - host code doing the same work, for the shapes fast-move.c names (insn->form): register moves
 *     and ALU ops, loads and stores through an inline soft-TLB lookup, push/pop/call/ret, jumps;
 *     the lazy flags are stored exactly as the handler would store them; or
 *   - a call to the instruction's handler, with insn_rip and rip set first as the interpreter sets
 *     them, and a look at tb_end after it.
 * An inline memory access whose TLB lookup misses jumps to an out-of-line stub that calls the
 * handler instead (which takes the general path: page walk, MMIO, faults), then comes back.
 * Faults longjmp out of the host function to cpu_exec, as they do out of a handler.
 *
 * A compare or ALU op followed by a conditional jump leaves the guest's flags in the host's EFLAGS
 * (the host is an x86 too, and the op is the same op at the same width), so the jump becomes a
 * cmov on them: QEMU's TCG gets the same from its cc_op tracking. */
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "accel/soft/alu.h"
#include "accel/soft/jit.h"
#include "accel/soft/tb.h"
#include "accel/soft/x86-emit.h"

struct jit_arena {
    uint8_t *base;
    size_t size, used;
};

struct jit_arena *jit_arena_new(size_t bytes)
{
    struct jit_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        free(a);
        return NULL;
    }
    a->base = p;
    a->size = bytes;
    return a;
}

void jit_arena_free(struct jit_arena *a)
{
    if (!a)
        return;
    munmap(a->base, a->size);
    free(a);
}

void jit_arena_reset(struct jit_arena *a)
{
    if (a)
        a->used = 0;
}

#define OFF(f) ((int32_t)offsetof(struct cpu, f))
#define GPR(r) (OFF(gpr) + 8 * (int32_t)(r))
#define LF(f) (OFF(lf) + (int32_t)offsetof(struct lazy_flags, f))
#define TLBE(f) ((int32_t)offsetof(struct tlb_entry, f))

/* The lazy-flags record's cin, op and size bytes are stored as one 32-bit word. */
_Static_assert(offsetof(struct lazy_flags, op) == offsetof(struct lazy_flags, cin) + 1 &&
               offsetof(struct lazy_flags, size) == offsetof(struct lazy_flags, cin) + 2 &&
               sizeof(struct lazy_flags) >= offsetof(struct lazy_flags, cin) + 4,
               "lazy_flags layout: cin, op, size adjacent with room for a 32-bit store");

/* A slow path: run instructions k .. k+n-1 by their handlers, then jump back to resume. */
struct stub {
    uint8_t *from[3];
    unsigned k, n;
    uint8_t *resume;
};

struct jctx {
    struct emit e;
    const struct tb *tb;
    bool user;                 /* the block runs at CPL 3: the user TLB, #AC checks */
    uint32_t off[TB_MAX_INSNS + 1];   /* offset of each instruction from the block's start */
    /* The host's EFLAGS hold the guest's arithmetic flags: the last guest instruction that wrote
     * them was done inline, and no host code since has changed them. flags_stub is the slow
     * path (-1: none) of the instruction that left them, which must then also run every
     * instruction up to one that uses the live flags. */
    bool flags_live;
    int flags_stub;
    int cover;                 /* the stub stretched to the instruction being emitted, or -1 */
    unsigned k;                /* the instruction being emitted */
    bool chain;                /* blocks may jump straight to the next translated block */
    uint8_t tb_cpl;            /* the privilege the block is translated for */
    struct stub stubs[TB_MAX_INSNS];
    unsigned nstubs;
    /* Jumps to "instruction k ended the block" (one per handler call, slow paths included). */
    struct exit_site { uint8_t *at; unsigned k; } *exits;
    unsigned nexits, cap;
};

/* Which way a conditional jump goes when the flags are only in the lazy record. */
static int jit_cond(struct cpu *c, unsigned cc)
{
    return cpu_cond_fast(c, cc);
}

/* CF when the flags are only in the lazy record (inc/dec keep it). */
static int jit_cf(struct cpu *c)
{
    return cpu_cf(c);
}

static bool fits32(int64_t v)
{
    return v == (int32_t)v;
}

/* c->insn_rip and c->rip as the interpreter sets them before running instruction k. */
static void emit_rips(struct jctx *j, unsigned k)
{
    e_lea(&j->e, RAX, R12, (int32_t)j->off[k]);
    e_store64(&j->e, RAX, RBX, OFF(insn_rip));
    e_lea(&j->e, RAX, R12, (int32_t)j->off[k + 1]);
    e_store64(&j->e, RAX, RBX, OFF(rip));
}

/* Instruction k by its handler; if it ends the block (tb_end), leave through exit k. */
static void emit_call(struct jctx *j, unsigned k)
{
    const struct insn *i = &j->tb->insn[k];
    emit_rips(j, k);
    e_mov_rr(&j->e, true, RDI, RBX);
    e_lea(&j->e, RSI, R13, (int32_t)(k * sizeof(struct insn)));
    e_mov_imm(&j->e, RAX, (uint64_t)(uintptr_t)i->fn);
    e_call_reg(&j->e, RAX);
    e_op_mem(&j->e, false, 0x80, 7, RBX, HNONE, 0, OFF(tb_end));   /* cmp byte [tb_end], 0 */
    e_byte(&j->e, 0);
    if (j->nexits == j->cap) {
        unsigned cap = j->cap ? 2 * j->cap : 64;
        struct exit_site *x = realloc(j->exits, cap * sizeof(*x));
        if (!x) {
            j->e.overflow = true;
            return;
        }
        j->exits = x;
        j->cap = cap;
    }
    j->exits[j->nexits].at = e_jcc(&j->e, CC_NE);
    j->exits[j->nexits++].k = k;
    j->flags_live = false;
}

/* Can the effective address of i be formed with 32-bit displacements? (RIP-relative adds the
 * instruction's offset in the block to disp.) */
static bool addr_ok(const struct jctx *j, unsigned k, const struct insn *i)
{
    if (i->base == RIP_REG)
        return fits32((int64_t)j->off[k + 1] + i->disp);
    return true;
}

/* rsi <- the linear address of i's memory operand (with_seg: plus the FS/GS base). */
static void emit_addr(struct jctx *j, unsigned k, const struct insn *i, bool with_seg)
{
    struct emit *e = &j->e;
    if (i->base == RIP_REG) {
        e_lea(e, RSI, R12, (int32_t)((int64_t)j->off[k + 1] + i->disp));
        if (i->index != NO_REG) {
            e_load64(e, RAX, RBX, GPR(i->index));
            e_op_mem(e, true, 0x8d, RSI, RSI, RAX, i->scale, 0);
        }
    } else if (i->base == NO_REG && i->index == NO_REG) {
        e_mov_imm(e, RSI, (uint64_t)(int64_t)i->disp);
    } else {
        if (i->base != NO_REG)
            e_load64(e, RSI, RBX, GPR(i->base));
        else
            e_mov_imm(e, RSI, 0);
        if (i->index != NO_REG) {
            e_load64(e, RAX, RBX, GPR(i->index));
            e_op_mem(e, true, 0x8d, RSI, RSI, RAX, i->scale, i->disp); /* lea rsi, [rsi+rax*s+d] */
        } else if (i->disp) {
            e_lea(e, RSI, RSI, i->disp);
        }
    }
    if (i->addrsize == 4)
        e_mov_rr(e, false, RSI, RSI);                                  /* mov esi, esi */
    if (with_seg && (i->seg == SEG_FS || i->seg == SEG_GS)) {
        e_op_mem(e, true, 0x03, RSI, RBX, HNONE, 0,
                 OFF(seg) + (int32_t)(i->seg * sizeof(struct seg_cache) + offsetof(struct seg_cache, base)));
        j->flags_live = false;
    }
}

/* The soft TLB in host code: rsi holds a linear address; on a hit for size bytes with the
 * access's tag, rdx <- the host address. A miss (or a page crossing, or EFLAGS.AC at CPL 3)
 * jumps to the slow-path stub this creates for instruction k. Clobbers rax and the flags. */
static void emit_tlb(struct jctx *j, unsigned k, unsigned size, bool write)
{
    struct emit *e = &j->e;
    e_mov_rr(e, false, RAX, RSI);                                      /* eax = lin */
    e_shift_ri(e, false, 5, RAX, 12);
    e_alu_ri(e, false, 4, RAX, TLB_SIZE - 1);
    e_op_rr(e, false, 0x6b, RAX, RAX);                                 /* imul eax, eax, entry */
    e_byte(e, sizeof(struct tlb_entry));
    _Static_assert(sizeof(struct tlb_entry) < 128, "TLB entry size fits an imm8");
    int32_t tlb = OFF(tlb) + (j->user ? (int32_t)(TLB_SIZE * sizeof(struct tlb_entry)) : 0);
    e_op_mem(e, true, 0x8d, RDX, RBX, RAX, 0, tlb);                    /* rdx = &entry */
    e_lea(e, RAX, RSI, (int32_t)size - 1);                             /* page of the last byte */
    e_alu_ri(e, true, 4, RAX, -4096);
    e_op_mem(e, true, 0x3b, RAX, RDX, HNONE, 0, write ? TLBE(tag_write) : TLBE(tag_read));
    struct stub *s = &j->stubs[j->nstubs];
    s->k = k;
    s->n = 1;
    s->from[0] = e_jcc(e, CC_NE);
    s->from[1] = s->from[2] = NULL;
    if (j->user) {
        e_op_mem(e, false, 0xf7, 0, RBX, HNONE, 0, OFF(flags));       /* test dword [flags], AC */
        e_u32(e, F_AC);
        s->from[1] = e_jcc(e, CC_NE);
    }
    e_load64(e, RDX, RDX, TLBE(host));
    e_mov_rr(e, false, RAX, RSI);
    e_alu_ri(e, false, 4, RAX, 0xfff);
    e_op_rr(e, true, 0x01, RAX, RDX);                                  /* add rdx, rax */
    j->nstubs++;
    j->flags_live = false;
}

/* The instruction's stub resumes after it; if the instruction left its flags live, the stub is
 * the one that must cover a later jump on them. */
static void stub_done(struct jctx *j)
{
    j->stubs[j->nstubs - 1].resume = j->e.p;
    if (j->flags_live)
        j->flags_stub = (int)j->nstubs - 1;
}

/* rdx <- the host address of i's memory operand (size bytes, for a read or a write), through the
 * soft TLB; a miss goes to instruction k's slow path. */
static void emit_mem_operand(struct jctx *j, unsigned k, const struct insn *i, unsigned size, bool write)
{
    emit_addr(j, k, i, true);
    emit_tlb(j, k, size, write);
}

/* The instruction being emitted left the guest's flags in EFLAGS. */
static void flags_now_live(struct jctx *j)
{
    j->flags_live = true;
    j->flags_stub = j->cover;          /* its own inputs came through that slow path */
}

/* The instruction being emitted reads the live flags. If they came from an instruction with a
 * slow path, after which EFLAGS mean nothing, that slow path runs every instruction up to this
 * one by its handler too and comes back after it. */
static void use_live_flags(struct jctx *j)
{
    if (j->flags_stub < 0)
        return;
    struct stub *st = &j->stubs[j->flags_stub];
    st->n = j->k - st->k + 1;
    j->cover = j->flags_stub;
}

static bool addr_ok(const struct jctx *j, unsigned k, const struct insn *i);

/* Register-only instructions emitted inline that neither read the lazy-flags record nor can
 * fault nor call out, and leave EFLAGS alone: live flags stay live across them. setcc and cmov
 * read the flags: from EFLAGS only while they are live (live), else from the record. */
static bool insn_keeps_flags(const struct jctx *j, unsigned m, bool live)
{
    const struct insn *i = &j->tb->insn[m];
    if (i->lock)
        return false;
    switch (i->form) {
    case FORM_MOV_RR64: case FORM_MOV_RR32: case FORM_MOV_RI64: case FORM_MOV_RI32:
    case FORM_MOV_RMI64:
        return true;
    case FORM_LEA64:
        return addr_ok(j, m, i);
    case FORM_NONE:
        break;
    default:
        return false;
    }
    unsigned op = i->op;
    bool reg = i->mod == 3, wide = i->opsize == 4 || i->opsize == 8;
    return (op == 0x90 && !(i->rex & 1) && i->rep != 0xf3) || op == 0x11f ||
           (op == 0x63 && reg && wide) ||
           ((op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf) && reg && wide) ||
           (live && op >= 0x190 && op <= 0x19f && reg) ||
           (live && op >= 0x140 && op <= 0x14f && reg && wide);
}

/* Register-only instructions emitted inline that rewrite the whole lazy-flags record, or all six
 * flags, without reading the record; some (inc/dec, adc/sbb, rotates) only when the flags are
 * live in EFLAGS (live). */
static bool insn_writes_flags(const struct jctx *j, unsigned m, bool live)
{
    const struct insn *i = &j->tb->insn[m];
    if (i->lock)
        return false;
    unsigned op = i->op, sz = i->opsize;
    bool no_cf = op < 0x40 && ((op >> 3) & 7) != ALU_ADC && ((op >> 3) & 7) != ALU_SBB;
    switch (i->form) {
    case FORM_ALU_RR64: case FORM_ALU_RR32:
        return live || no_cf;
    case FORM_ALU_RI64: case FORM_ALU_RI32: {
        unsigned sub = (i->modrm >> 3) & 7;
        return live || (sub != ALU_ADC && sub != ALU_SBB);
    }
    case FORM_TEST_RR64: case FORM_TEST_RR32:
        return true;
    case FORM_INCDEC64: case FORM_INCDEC32:
        return live;
    case FORM_NONE:
        break;
    default:
        return false;
    }
    bool reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if (op == 0xc1 && reg && wide) {
        unsigned sub = (i->modrm >> 3) & 7;
        if (((unsigned)i->imm & (sz == 8 ? 63 : 31)) == 0)
            return false;
        return sub == 4 || sub == 5 || sub == 7 || (sub <= 1 && live);
    }
    return ((op == 0x1af || op == 0x6b || op == 0x69) && reg && wide) || (op == 0x84 && reg) ||
           (op < 0x40 && ((op & 7) == 4 || ((op & 7) == 5 && sz != 2)) && (live || no_cf));
}

/* The lazy-flags record instruction k would write is dead: a later instruction of the block
 * rewrites it before anything could read it (no handler call, no fault, no block end between).
 * Then k only needs to leave its flags in EFLAGS, for the jumps and the next writer. */
static bool lf_dead(const struct jctx *j, unsigned k, bool live_after)
{
    for (unsigned m = k + 1; m < j->tb->ninsn; m++) {
        if (insn_writes_flags(j, m, live_after))
            return true;
        if (!insn_keeps_flags(j, m, live_after))
            return false;
    }
    return false;
}

/* Host register h <- guest register r at size 4 or 8 (zero-extended). */
static void load_reg(struct emit *e, unsigned h, unsigned r, unsigned size)
{
    if (size == 8)
        e_load64(e, h, RBX, GPR(r));
    else
        e_load32(e, h, RBX, GPR(r));
}

/* A logic result in rax (test, and): the record lf_set(LF_LOGIC, size, r, r, 0) writes. */
static void emit_lf_logic(struct jctx *j, unsigned size)
{
    struct emit *e = &j->e;
    e_store64(e, RAX, RBX, LF(res));
    e_store64(e, RAX, RBX, LF(src1));
    e_store_imm64(e, RBX, LF(src2), 0);
    e_store_imm32(e, RBX, LF(cin), (LF_LOGIC << 8) | (size << 16));
    flags_now_live(j);
}

/* push rcx (64-bit): rsi = the new rsp, through the TLB (a slow-path stub for instruction k). */
static void emit_push_rcx(struct jctx *j, unsigned k)
{
    struct emit *e = &j->e;
    e_load64(e, RSI, RBX, GPR(R_RSP));
    e_lea(e, RSI, RSI, -8);
    emit_tlb(j, k, 8, true);
    e_store64(e, RCX, RDX, 0);
    e_store64(e, RSI, RBX, GPR(R_RSP));
}

/* insn_rip <- instruction k's address: a transfer to a non-canonical rip is #GP there (tb_find). */
static void emit_insn_rip(struct jctx *j, unsigned k)
{
    e_lea(&j->e, RAX, R12, (int32_t)j->off[k]);
    e_store64(&j->e, RAX, RBX, OFF(insn_rip));
}

/* rip <- the block's start + off (a jump whose target is known at translation). */
static void emit_set_rip(struct jctx *j, int64_t off)
{
    e_lea(&j->e, RAX, R12, (int32_t)off);
    e_store64(&j->e, RAX, RBX, OFF(rip));
}

/* An ALU op on rax (a) and rcx (b) at size 8 or 4, storing the lazy flags as lf_set does; the
 * result stays in rax and its flags in EFLAGS. False for adc/sbb (they read CF: handler). */
static bool emit_alu(struct jctx *j, unsigned k, unsigned op, unsigned size)
{
    struct emit *e = &j->e;
    unsigned lf;
    switch (op) {
    case ALU_ADD: case ALU_ADC: lf = LF_ADD; break;
    case ALU_SUB: case ALU_SBB: case ALU_CMP: lf = LF_SUB; break;
    default: lf = LF_LOGIC; break;
    }
    bool w = size == 8, dead = lf_dead(j, k, true);
    if (!dead) {
        e_store64(e, RAX, RBX, LF(src1));
        e_store64(e, RCX, RBX, LF(src2));
    }
    /* cmp is done as sub: the same flags, and the difference is the lazy record's result. */
    unsigned hop = (op == ALU_CMP ? ALU_SUB : op) << 3 | (size == 1 ? 0 : 1);
    if (op == ALU_ADC || op == ALU_SBB) {
        /* The carry in is CF, live in EFLAGS (alu_inline_ok checked): recorded as cin. */
        use_live_flags(j);
        if (!dead)
            e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(cin));    /* setc [cin] */
        e_op_rr(e, w, hop, RCX, RAX);                                  /* adc/sbb rax, rcx */
        if (!dead) {
            e_store64(e, RAX, RBX, LF(res));
            e_store_imm8(e, RBX, LF(op), (uint8_t)lf);
            e_store_imm8(e, RBX, LF(size), (uint8_t)size);
        }
    } else {
        e_op_rr(e, w, hop, RCX, RAX);                                  /* op rax, rcx */
        if (!dead) {
            e_store64(e, RAX, RBX, LF(res));
            e_store_imm32(e, RBX, LF(cin), (lf << 8) | (size << 16));  /* cin 0, op, size */
        }
    }
    flags_now_live(j);
    return true;
}

/* adc and sbb need CF: inline only while the flags are live in EFLAGS. */
static bool alu_inline_ok(const struct jctx *j, unsigned op)
{
    return (op != ALU_ADC && op != ALU_SBB) || j->flags_live;
}

#define TBF(f) ((int32_t)offsetof(struct tb, f))

/* The end of a block that ran to its end: rather than return to cpu_exec, jump straight into the
 * next block's host code (QEMU's goto_tb, through the block's chain slots that next_tb fills) when
 * nothing needs cpu_exec's attention between the blocks: no kick or stop request, no interrupt
 * that could be taken, no interrupt shadow, single-step, breakpoint, halt or NMI, the budget not
 * spent, no vCPU newly translating code. Any doubt returns to cpu_exec, which decides the same
 * things the slow way. rdi/rsi are set for the next block as cpu_exec would call it. */
static void emit_chain(struct jctx *j, const struct cpu *c)
{
    struct emit *e = &j->e;
    uint8_t *out[40];
    unsigned nout = 0;
#define OUT(cc) (out[nout++] = e_jcc(e, (cc)))
    /* syscall/sysret change the privilege without ending the block: chains are for tb_cpl. */
    e_op_mem(e, false, 0x80, 7, RBX, HNONE, 0, OFF(cpl));
    e_byte(e, j->tb_cpl);
    OUT(CC_NE);
    e_alu_mi(e, false, 7, RBX, OFF(kick), 0);                          /* cmp dword [kick], 0 */
    OUT(CC_NE);
    if (c->stop_flag) {
        e_load64(e, RAX, RBX, OFF(stop_flag));
        e_alu_mi(e, false, 7, RAX, 0, 0);
        OUT(CC_NE);
    }
    e_op_mem(e, false, 0xf7, 0, RBX, HNONE, 0, OFF(flags));           /* test dword [flags], TF */
    e_u32(e, F_TF);
    OUT(CC_NE);
    if (c->irq_line) {
        e_op_mem(e, false, 0xf7, 0, RBX, HNONE, 0, OFF(flags));       /* IF and a pending irq */
        e_u32(e, F_IF);
        uint8_t *no_if = e_jcc(e, CC_E);
        e_load64(e, RAX, RBX, OFF(irq_line));
        e_op_mem(e, false, 0x80, 7, RAX, HNONE, 0, 0);
        e_byte(e, 0);
        OUT(CC_NE);
        e_patch(no_if, e->p);
    }
    /* (Armed debug registers run one instruction at a time, through cpu_exec.) */
    static const int32_t bytes[] = { OFF(nmi_pending), OFF(irq_shadow), OFF(halted), OFF(dr_armed) };
    for (unsigned b = 0; b < 4; b++) {
        e_op_mem(e, false, 0x80, 7, RBX, HNONE, 0, bytes[b]);          /* cmp byte [..], 0 */
        e_byte(e, 0);
        OUT(CC_NE);
    }
    e_load64(e, RAX, RBX, OFF(icount));
    e_op_mem(e, true, 0x3b, RAX, RBX, HNONE, 0, OFF(icount_limit));
    OUT(CC_AE);
    e_load64(e, RAX, RBX, OFF(pages));
    e_load32(e, RAX, RAX, (int32_t)offsetof(struct code_pages, epoch));
    e_op_mem(e, false, 0x3b, RAX, RBX, HNONE, 0, OFF(code_epoch_seen));
    OUT(CC_NE);

    /* This block's chain slots (rdx = the block), valid for the current chain epoch. */
    e_load64(e, RCX, RBX, OFF(rip));
    e_lea(e, RDX, R13, -TBF(insn));
    e_load32(e, RAX, RDX, TBF(chain_epoch));
    e_op_mem(e, false, 0x3b, RAX, RBX, HNONE, 0, OFF(chain_epoch));
    uint8_t *stale = e_jcc(e, CC_NE);
    uint8_t *found[3];
    for (int k = 0; k < 2; k++) {
        e_op_mem(e, true, 0x3b, RCX, RDX, HNONE, 0, TBF(chain_rip) + 8 * k);
        uint8_t *next = e_jcc(e, CC_NE);
        e_op_mem(e, false, 0x80, 7, RDX, HNONE, 0, TBF(chain_cpl) + k);  /* checked at our CPL */
        e_byte(e, j->tb_cpl);
        OUT(CC_NE);
        e_op_mem(e, false, 0x80, 7, RDX, HNONE, 0, TBF(chain_global) + k);
        e_byte(e, 0);
        uint8_t *global = e_jcc(e, CC_NE);      /* on a global page: CR3 writes keep it */
        e_load32(e, RAX, RDX, TBF(chain_epoch_ng) + 4 * k);
        e_op_mem(e, false, 0x3b, RAX, RBX, HNONE, 0, OFF(chain_epoch_ng));
        OUT(CC_NE);
        e_patch(global, e->p);
        e_load64(e, RSI, RDX, TBF(chain) + 8 * k);
        e_op_rr(e, true, 0x85, RSI, RSI);
        OUT(CC_E);
        found[k] = e_jmp(e);
        e_patch(next, e->p);
    }
    /* Neither slot (a return, an indirect jump): the jump cache, as tb_find looks into it. */
    e_patch(stale, e->p);
    e_mov_rr(e, true, RAX, RCX);
    e_shift_ri(e, true, 5, RAX, 12);
    e_op_rr(e, true, 0x31, RCX, RAX);                                  /* xor rax, rcx */
    e_alu_ri(e, false, 4, RAX, TB_JC_SIZE - 1);
    e_shift_ri(e, false, 4, RAX, 5);
    _Static_assert(sizeof(struct tb_jc) == 32, "jump cache entries are 32 bytes");
    e_load64(e, RDX, RBX, OFF(tbs));
    e_op_mem(e, true, 0x8d, RDX, RDX, RAX, 0, (int32_t)tb_cache_jc_offset());   /* rdx = &jc[..] */
    e_op_mem(e, true, 0x3b, RCX, RDX, HNONE, 0, (int32_t)offsetof(struct tb_jc, rip));
    OUT(CC_NE);
    e_load32(e, RAX, RDX, (int32_t)offsetof(struct tb_jc, epoch));
    e_op_mem(e, false, 0x3b, RAX, RBX, HNONE, 0, OFF(chain_epoch));
    OUT(CC_NE);
    e_op_mem(e, false, 0x80, 7, RDX, HNONE, 0, (int32_t)offsetof(struct tb_jc, cpl));
    e_byte(e, j->tb_cpl);
    OUT(CC_NE);
    e_op_mem(e, false, 0x80, 7, RDX, HNONE, 0, (int32_t)offsetof(struct tb_jc, global));
    e_byte(e, 0);
    uint8_t *global = e_jcc(e, CC_NE);
    e_load32(e, RAX, RDX, (int32_t)offsetof(struct tb_jc, epoch_ng));
    e_op_mem(e, false, 0x3b, RAX, RBX, HNONE, 0, OFF(chain_epoch_ng));
    OUT(CC_NE);
    e_patch(global, e->p);
    e_load64(e, RSI, RDX, (int32_t)offsetof(struct tb_jc, tb));
    e_op_rr(e, true, 0x85, RSI, RSI);
    OUT(CC_E);
    e_patch(found[0], e->p);
    e_patch(found[1], e->p);
    /* rsi = the next block: 64-bit, translated for this privilege, not overwritten since. */
    e_op_mem(e, false, 0x80, 7, RSI, HNONE, 0, TBF(mode));
    e_byte(e, 8);
    OUT(CC_NE);
    e_load64(e, RAX, RSI, TBF(jit));
    e_op_rr(e, true, 0x85, RAX, RAX);
    OUT(CC_E);
    e_op_mem(e, false, 0x80, 7, RSI, HNONE, 0, TBF(jit_cpl));
    e_byte(e, j->tb_cpl);
    OUT(CC_NE);
    e_load32(e, RCX, RSI, TBF(gen));
    e_load64(e, RDX, RSI, TBF(page));
    e_op_mem(e, false, 0x3b, RCX, RDX, HNONE, 0, (int32_t)offsetof(struct code_page, gen));
    OUT(CC_NE);
    /* Enter it as run_tb would: last_tb, the instruction count. */
    e_store64(e, RSI, RBX, OFF(last_tb));
    e_op_mem(e, false, 0x0fb7, RCX, RSI, HNONE, 0, TBF(ninsn));         /* movzx ecx, word */
    e_op_mem(e, true, 0x01, RCX, RBX, HNONE, 0, OFF(icount));           /* add [icount], rcx */
    e_mov_rr(e, true, RDI, RBX);
    e_pop(e, R13);
    e_pop(e, R12);
    e_pop(e, RBX);
    e_op_rr(e, false, 0xff, 4, RAX);                                    /* jmp rax */
    for (unsigned x = 0; x < nout; x++)
        e_patch(out[x], e->p);
#undef OUT
}

/* The offset in struct cpu of 8-bit register r (without REX, 4-7 are AH, CH, DH, BH). */
static int32_t reg8_off(const struct insn *i, unsigned r)
{
    if (r >= 4 && r < 8 && !i->rex)
        return GPR(r - 4) + 1;
    return GPR(r);
}

/* A condition on the guest's flags into EFLAGS as host condition *cc: the live flags as they
 * are, else the lazy record asked through jit_cond (then the condition is "ne"). */
static void emit_cond(struct jctx *j, unsigned *cc)
{
    if (j->flags_live) {
        use_live_flags(j);
        return;
    }
    struct emit *e = &j->e;
    e_mov_rr(e, true, RDI, RBX);
    e_mov_imm(e, RSI, *cc);
    e_mov_imm(e, RAX, (uint64_t)(uintptr_t)jit_cond);
    e_call_reg(e, RAX);
    e_op_rr(e, false, 0x85, RAX, RAX);                                 /* test eax, eax */
    *cc = CC_NE;
}

/* Shifts by an immediate (C1 /4 /5 /7, register operand): the host shift, and the lazy record
 * op-shift.c's do_shift writes (LF_SHIFT: CF in src1, OF in src2). */
static bool emit_shift(struct jctx *j, unsigned k, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    unsigned sub = (i->modrm >> 3) & 7, bits = size * 8;
    unsigned n = (unsigned)i->imm & (size == 8 ? 63 : 31);
    bool w = size == 8;
    if (n == 0 || (sub != 4 && sub != 5 && sub != 7))
        return false;
    load_reg(e, RAX, i->rm, size);
    if (lf_dead(j, k, n == 1 && sub != 4)) {
        e_shift_ri(e, w, sub, RAX, (uint8_t)n);
        e_store64(e, RAX, RBX, GPR(i->rm));
        if (n == 1 && sub != 4)
            flags_now_live(j);
        else
            j->flags_live = false;
        return true;
    }
    if (sub == 5) {                                                    /* OF: the old sign bit */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(bits - 1));
        e_store64(e, RDX, RBX, LF(src2));
    } else if (sub == 7) {
        e_store_imm64(e, RBX, LF(src2), 0);
    }
    e_store_imm64(e, RBX, LF(src1), 0);
    e_shift_ri(e, w, sub, RAX, (uint8_t)n);
    e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(src1));            /* setc [src1] */
    e_store64(e, RAX, RBX, LF(res));
    e_store_imm32(e, RBX, LF(cin), (LF_SHIFT << 8) | (size << 16));
    e_store64(e, RAX, RBX, GPR(i->rm));
    if (sub == 4) {                                                    /* OF: new sign bit ^ CF */
        e_mov_rr(e, true, RDX, RAX);
        e_shift_ri(e, w, 5, RDX, (uint8_t)(bits - 1));
        e_op_mem(e, false, 0x33, RDX, RBX, HNONE, 0, LF(src1));        /* xor edx, [src1] */
        e_store64(e, RDX, RBX, LF(src2));
        j->flags_live = false;
    } else if (n == 1) {
        flags_now_live(j);             /* a 1-bit shift's OF is the host's too */
    } else {
        j->flags_live = false;
    }
    return true;
}

/* Rotates by an immediate (C1 /0 /1, register): they keep SF, ZF, AF, PF, so only with the flags
 * live; then all six are written back to cpu->flags (materialized, as do_shift leaves them). */
static bool emit_rotate(struct jctx *j, unsigned k, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    unsigned sub = (i->modrm >> 3) & 7;
    unsigned n = (unsigned)i->imm & (size == 8 ? 63 : 31);
    if (n == 0 || sub > 1 || !j->flags_live)
        return false;
    use_live_flags(j);
    load_reg(e, RAX, i->rm, size);
    e_shift_ri(e, size == 8, sub, RAX, (uint8_t)n);
    e_store64(e, RAX, RBX, GPR(i->rm));
    if (lf_dead(j, k, n == 1)) {
        /* The next writer replaces all six flags: they only need to stay in EFLAGS, which the
         * rotate changed as the guest's would (CF, OF; the rest kept). */
        if (n == 1)
            flags_now_live(j);
        else
            j->flags_live = false;
        return true;
    }
    e_byte(e, 0x9c);                                                   /* pushfq */
    e_pop(e, RCX);
    e_alu_ri(e, false, 4, RCX, F_ARITH);
    e_load64(e, RDX, RBX, OFF(flags));
    e_alu_ri(e, true, 4, RDX, ~(int32_t)F_ARITH);
    e_op_rr(e, true, 0x09, RCX, RDX);                                  /* or rdx, rcx */
    e_store64(e, RDX, RBX, OFF(flags));
    e_store_imm8(e, RBX, LF(op), LF_NONE);
    j->flags_live = false;
    return true;
}

/* Instructions fast-move.c has no form for, recognized by opcode (register operands, 32/64-bit). */
static bool emit_inline_op(struct jctx *j, unsigned k)
{
    const struct insn *i = &j->tb->insn[k];
    struct emit *e = &j->e;
    unsigned sz = i->opsize, op = i->op;
    bool w = sz == 8, reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if (i->lock)
        return false;
    if (op == 0x90 && !(i->rex & 1) && i->rep != 0xf3)
        return true;                                                   /* nop */
    if (op == 0x11f)
        return true;                                                   /* nop Ev */
    if (op == 0xc1 && reg && wide) {
        unsigned sub = (i->modrm >> 3) & 7;
        return sub <= 1 ? emit_rotate(j, k, i, sz) : emit_shift(j, k, i, sz);
    }
    if ((op == 0x1af || op == 0x6b || op == 0x69) && reg && wide) {
        /* imul: the low half; CF = OF = "the result did not fit" (mul_flags' LF_SHIFT record). */
        load_reg(e, RAX, i->rm, sz);
        if (op == 0x1af) {
            e_mov_rr(e, true, RCX, RAX);
            load_reg(e, RAX, i->reg, sz);
        } else {
            e_mov_imm(e, RCX, w ? i->imm : (uint32_t)i->imm);
        }
        e_op_rr(e, w, 0x0faf, RAX, RCX);                               /* imul rax, rcx */
        e_op_rr(e, false, 0x0f90, 0, RDX);                             /* seto dl */
        e_op_rr(e, false, 0x0fb6, RDX, RDX);                           /* movzx edx, dl */
        e_store64(e, RDX, RBX, LF(src1));
        e_store64(e, RDX, RBX, LF(src2));
        e_store64(e, RAX, RBX, LF(res));
        e_store_imm32(e, RBX, LF(cin), (LF_SHIFT << 8) | (sz << 16));
        e_store64(e, RAX, RBX, GPR(i->reg));
        j->flags_live = false;
        return true;
    }
    if (op == 0x63 && reg && wide) {                                   /* movsxd */
        if (w)
            e_op_mem(e, true, 0x63, RAX, RBX, HNONE, 0, GPR(i->rm));
        else
            e_load32(e, RAX, RBX, GPR(i->rm));
        e_store64(e, RAX, RBX, GPR(i->reg));
        return true;
    }
    if ((op == 0x1b6 || op == 0x1be) && reg && wide) {                 /* movzx/movsx r, r8 */
        e_op_mem(e, w && op == 0x1be, op == 0x1b6 ? 0x0fb6 : 0x0fbe, RAX, RBX, HNONE, 0,
                 reg8_off(i, i->rm));
        e_store64(e, RAX, RBX, GPR(i->reg));
        return true;
    }
    if ((op == 0x1b7 || op == 0x1bf) && reg && wide) {                 /* movzx/movsx r, r16 */
        e_op_mem(e, w && op == 0x1bf, op == 0x1b7 ? 0x0fb7 : 0x0fbf, RAX, RBX, HNONE, 0, GPR(i->rm));
        e_store64(e, RAX, RBX, GPR(i->reg));
        return true;
    }
    if (op >= 0x190 && op <= 0x19f && reg) {                           /* setcc r8 */
        unsigned cc = op & 15;
        emit_cond(j, &cc);
        e_op_mem(e, false, 0x0f90 + cc, 0, RBX, HNONE, 0, reg8_off(i, i->rm));
        return true;
    }
    if (op >= 0x140 && op <= 0x14f && reg && wide) {                   /* cmovcc r, r */
        unsigned cc = op & 15;
        emit_cond(j, &cc);
        load_reg(e, RAX, i->reg, sz);
        e_op_mem(e, w, 0x0f40 + cc, RAX, RBX, HNONE, 0, GPR(i->rm));
        e_store64(e, RAX, RBX, GPR(i->reg));
        return true;
    }
    if (op == 0x84 && reg) {                                           /* test r8, r8 */
        e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, reg8_off(i, i->rm));
        e_op_mem(e, false, 0x0fb6, RCX, RBX, HNONE, 0, reg8_off(i, i->reg));
        e_op_rr(e, false, 0x20, RCX, RAX);                             /* and al, cl */
        emit_lf_logic(j, 1);
        return true;
    }
    if (op < 0x40 && (op & 7) >= 4 && (op & 7) <= 5 && alu_inline_ok(j, (op >> 3) & 7)) {
        /* ALU op on AL / eAX / rAX with an immediate. */
        unsigned size = (op & 1) ? sz : 1, aop = (op >> 3) & 7;
        if (size == 2)
            return false;
        if (size == 1)
            e_op_mem(e, false, 0x0fb6, RAX, RBX, HNONE, 0, GPR(R_RAX));
        else
            load_reg(e, RAX, R_RAX, size);
        e_mov_imm(e, RCX, size == 8 ? i->imm : i->imm & size_mask(size));
        emit_alu(j, k, aop, size);
        if (aop != ALU_CMP) {
            if (size == 1)
                e_op_mem(e, false, 0x88, RAX, RBX, HNONE, 0, GPR(R_RAX));   /* mov [al], al */
            else
                e_store64(e, RAX, RBX, GPR(R_RAX));
        }
        return true;
    }
    if ((op == 0x80 || op == 0xf6) && !reg && addr_ok(j, k, i)) {
        /* cmp/test byte [mem], imm8 (ALU 80 /7, F6 /0): read-only. */
        unsigned sub = (i->modrm >> 3) & 7;
        if (!((op == 0x80 && sub == 7) || (op == 0xf6 && sub == 0)))
            return false;
        emit_mem_operand(j, k, i, 1, false);
        e_op_mem(e, false, 0x0fb6, RAX, RDX, HNONE, 0, 0);
        e_mov_imm(e, RCX, i->imm & 0xff);
        if (op == 0x80) {
            emit_alu(j, k, ALU_CMP, 1);
        } else {
            e_op_rr(e, false, 0x20, RCX, RAX);                         /* and al, cl */
            emit_lf_logic(j, 1);
        }
        stub_done(j);
        return true;
    }
    if (op == 0xff && !reg && wide && ((i->modrm >> 3) & 7) < 2 && addr_ok(j, k, i)) {
        /* inc/dec [mem]: CF is kept, so the record's cin is the CF from before (r8). */
        bool dec = (i->modrm >> 3) & 1;
        if (j->flags_live) {
            use_live_flags(j);
            e_op_rr(e, false, 0x0f92, 0, R8);                          /* setc r8b */
        } else {
            e_mov_rr(e, true, RDI, RBX);
            e_mov_imm(e, RAX, (uint64_t)(uintptr_t)jit_cf);
            e_call_reg(e, RAX);
            e_mov_rr(e, false, R8, RAX);
        }
        emit_mem_operand(j, k, i, sz, true);
        e_op_mem(e, w, 0x8b, RAX, RDX, HNONE, 0, 0);
        e_store64(e, RAX, RBX, LF(src1));
        e_store_imm64(e, RBX, LF(src2), 1);
        e_op_mem(e, false, 0x88, R8, RBX, HNONE, 0, LF(cin));         /* mov [cin], r8b */
        e_op_rr(e, w, 0xff, dec ? 1 : 0, RAX);                         /* inc/dec rax */
        e_store64(e, RAX, RBX, LF(res));
        e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
        e_store_imm8(e, RBX, LF(size), (uint8_t)sz);
        e_op_mem(e, w, 0x89, RAX, RDX, HNONE, 0, 0);
        j->flags_live = false;          /* EFLAGS.CF is the TLB compare's */
        stub_done(j);
        return true;
    }
    if ((op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf) && !reg && wide && addr_ok(j, k, i)) {
        /* movzx/movsx r, m8/m16 */
        unsigned msz = (op & 1) ? 2 : 1;
        emit_mem_operand(j, k, i, msz, false);
        e_op_mem(e, w && op >= 0x1be, 0x0f00 | (op & 0xff), RAX, RDX, HNONE, 0, 0);
        e_store64(e, RAX, RBX, GPR(i->reg));
        stub_done(j);
        return true;
    }
    return false;
}

/* Host code for instruction k when its form has some; false: call its handler. */
static bool emit_inline(struct jctx *j, unsigned k, bool *rip_set)
{
    const struct insn *i = &j->tb->insn[k];
    struct emit *e = &j->e;
    unsigned sz = 8;
    bool w = true;
    int64_t next = j->off[k + 1];
    switch (i->form) {
    case FORM_MOV_RR32: sz = 4; w = false; /* fall through */
    case FORM_MOV_RR64:
        load_reg(e, RAX, i->reg, sz);
        e_store64(e, RAX, RBX, GPR(i->rm));
        return true;
    case FORM_MOV_RI32: case FORM_MOV_RI64: {
        unsigned r = (i->op & 7) | ((i->rex & 1) << 3);
        uint64_t v = i->form == FORM_MOV_RI32 ? (uint32_t)i->imm : i->imm;
        e_mov_imm(e, RAX, v);
        e_store64(e, RAX, RBX, GPR(r));
        return true;
    }
    case FORM_MOV_RMI64:
        e_mov_imm(e, RAX, i->imm);
        e_store64(e, RAX, RBX, GPR(i->rm));
        return true;
    case FORM_ALU_RR32: sz = 4; w = false; /* fall through */
    case FORM_ALU_RR64: {
        unsigned op = (i->op >> 3) & 7;
        if (!alu_inline_ok(j, op))
            return false;
        load_reg(e, RAX, i->rm, sz);
        load_reg(e, RCX, i->reg, sz);
        emit_alu(j, k, op, sz);
        if (op != ALU_CMP)
            e_store64(e, RAX, RBX, GPR(i->rm));
        return true;
    }
    case FORM_ALU_RI32: sz = 4; w = false; /* fall through */
    case FORM_ALU_RI64: {
        unsigned op = (i->modrm >> 3) & 7;
        if (!alu_inline_ok(j, op))
            return false;
        load_reg(e, RAX, i->rm, sz);
        e_mov_imm(e, RCX, w ? i->imm : (uint32_t)i->imm);
        emit_alu(j, k, op, sz);
        if (op != ALU_CMP)
            e_store64(e, RAX, RBX, GPR(i->rm));
        return true;
    }
    case FORM_TEST_RR32: sz = 4; w = false; /* fall through */
    case FORM_TEST_RR64:
        load_reg(e, RAX, i->rm, sz);
        load_reg(e, RCX, i->reg, sz);
        e_op_rr(e, w, 0x21, RCX, RAX);                                 /* and rax, rcx */
        emit_lf_logic(j, sz);
        return true;
    case FORM_INCDEC32: sz = 4; w = false; /* fall through */
    case FORM_INCDEC64: {
        /* inc/dec keep CF, so the lazy record carries it in cin: taken from live host flags
         * (the host's inc/dec keep it too); otherwise the handler works it out. */
        if (!j->flags_live)
            return false;
        use_live_flags(j);
        bool dec = (i->modrm >> 3) & 1;
        load_reg(e, RAX, i->rm, sz);
        e_store64(e, RAX, RBX, LF(src1));
        e_store_imm64(e, RBX, LF(src2), 1);
        e_op_mem(e, false, 0x0f92, 0, RBX, HNONE, 0, LF(cin));        /* setc [cin] */
        e_op_rr(e, w, 0xff, dec ? 1 : 0, RAX);                         /* inc/dec rax */
        e_store64(e, RAX, RBX, LF(res));
        e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
        e_store_imm8(e, RBX, LF(size), (uint8_t)sz);
        e_store64(e, RAX, RBX, GPR(i->rm));
        flags_now_live(j);
        return true;
    }
    case FORM_LEA64:
        if (!addr_ok(j, k, i))
            return false;
        emit_addr(j, k, i, false);
        e_store64(e, RSI, RBX, GPR(i->reg));
        return true;
    case FORM_LOAD32: sz = 4; w = false; /* fall through */
    case FORM_LOAD64:
        if (!addr_ok(j, k, i))
            return false;
        emit_mem_operand(j, k, i, sz, false);
        e_op_mem(e, w, 0x8b, RAX, RDX, HNONE, 0, 0);
        e_store64(e, RAX, RBX, GPR(i->reg));
        stub_done(j);
        return true;
    case FORM_STORE32: sz = 4; w = false; /* fall through */
    case FORM_STORE64:
        if (!addr_ok(j, k, i))
            return false;
        emit_mem_operand(j, k, i, sz, true);
        e_load64(e, RCX, RBX, GPR(i->reg));
        e_op_mem(e, w, 0x89, RCX, RDX, HNONE, 0, 0);
        stub_done(j);
        return true;
    case FORM_MOV_MI32: sz = 4; w = false; /* fall through */
    case FORM_MOV_MI64:
        if (!addr_ok(j, k, i))
            return false;
        emit_mem_operand(j, k, i, sz, true);
        e_op_mem(e, w, 0xc7, 0, RDX, HNONE, 0, 0);
        e_u32(e, (uint32_t)i->imm);
        stub_done(j);
        return true;
    case FORM_ALU_RM32: sz = 4; w = false; /* fall through */
    case FORM_ALU_RM64: {
        unsigned op = (i->op >> 3) & 7;
        if (op == ALU_ADC || op == ALU_SBB || !addr_ok(j, k, i))
            return false;
        emit_mem_operand(j, k, i, sz, false);
        e_op_mem(e, w, 0x8b, RCX, RDX, HNONE, 0, 0);
        load_reg(e, RAX, i->reg, sz);
        emit_alu(j, k, op, sz);
        if (op != ALU_CMP)
            e_store64(e, RAX, RBX, GPR(i->reg));
        stub_done(j);
        return true;
    }
    case FORM_ALU_MR32: case FORM_ALU_MI32: sz = 4; w = false; /* fall through */
    case FORM_ALU_MR64: case FORM_ALU_MI64: {
        bool imm = i->form == FORM_ALU_MI32 || i->form == FORM_ALU_MI64;
        unsigned op = imm ? (i->modrm >> 3) & 7 : (i->op >> 3) & 7;
        if (op == ALU_ADC || op == ALU_SBB || !addr_ok(j, k, i))
            return false;
        emit_mem_operand(j, k, i, sz, true);
        e_op_mem(e, w, 0x8b, RAX, RDX, HNONE, 0, 0);
        if (imm)
            e_mov_imm(e, RCX, w ? i->imm : (uint32_t)i->imm);
        else
            load_reg(e, RCX, i->reg, sz);
        emit_alu(j, k, op, sz);
        if (op != ALU_CMP)
            e_op_mem(e, w, 0x89, RAX, RDX, HNONE, 0, 0);
        stub_done(j);
        return true;
    }
    case FORM_PUSH64: {
        e_load64(e, RCX, RBX, GPR((i->op & 7) | ((i->rex & 1) << 3)));
        emit_push_rcx(j, k);
        stub_done(j);
        return true;
    }
    case FORM_POP64: case FORM_RET64: {
        e_load64(e, RSI, RBX, GPR(R_RSP));
        emit_tlb(j, k, 8, false);
        e_load64(e, RCX, RDX, 0);
        if (i->form == FORM_RET64) {
            /* A non-canonical return address: the handler raises #GP with rsp unmoved. */
            e_mov_rr(e, true, RAX, RCX);
            e_shift_ri(e, true, 4, RAX, 16);
            e_shift_ri(e, true, 7, RAX, 16);                           /* sar rax, 16 */
            e_op_rr(e, true, 0x39, RCX, RAX);                          /* cmp rax, rcx */
            j->stubs[j->nstubs - 1].from[2] = e_jcc(e, CC_NE);
        }
        e_lea(e, RSI, RSI, 8);
        e_store64(e, RSI, RBX, GPR(R_RSP));
        if (i->form == FORM_POP64) {
            e_store64(e, RCX, RBX, GPR((i->op & 7) | ((i->rex & 1) << 3)));
        } else {
            emit_insn_rip(j, k);
            e_store64(e, RCX, RBX, OFF(rip));
            *rip_set = true;
        }
        stub_done(j);
        return true;
    }
    case FORM_CALL64:
        if (!fits32(next + (int64_t)i->imm))
            return false;
        e_lea(e, RCX, R12, (int32_t)next);
        emit_push_rcx(j, k);
        emit_insn_rip(j, k);
        emit_set_rip(j, next + (int64_t)i->imm);
        stub_done(j);
        *rip_set = true;
        return true;
    case FORM_JMP:
        if (!fits32(next + (int64_t)i->imm))
            return false;
        emit_insn_rip(j, k);
        emit_set_rip(j, next + (int64_t)i->imm);
        *rip_set = true;
        return true;
    case FORM_JCC: {
        if (!fits32(next + (int64_t)i->imm))
            return false;
        unsigned cc = i->op & 15;
        if (!j->flags_live) {
            /* The flags are in the lazy record: ask the C side which way. */
            e_mov_rr(e, true, RDI, RBX);
            e_mov_imm(e, RSI, cc);
            e_mov_imm(e, RAX, (uint64_t)(uintptr_t)jit_cond);
            e_call_reg(e, RAX);
            e_op_rr(e, false, 0x85, RAX, RAX);                         /* test eax, eax */
            cc = CC_NE;
        } else {
            use_live_flags(j);
        }
        emit_insn_rip(j, k);                   /* (lea and mov keep EFLAGS) */
        e_lea(e, RAX, R12, (int32_t)next);
        e_lea(e, RCX, R12, (int32_t)(next + (int64_t)i->imm));
        e_cmov(e, cc, RAX, RCX);
        e_store64(e, RAX, RBX, OFF(rip));
        *rip_set = true;
        return true;
    }
    default:
        return emit_inline_op(j, k);
    }
}

bool jit_translate(struct cpu *c, struct tb *tb, struct jit_arena *a)
{
    if (!a || tb->mode != 8 || tb->ninsn == 0 || tb->ninsn > TB_MAX_INSNS)
        return false;
    static const size_t room = 64;   /* what a few bytes of epilogue might need past the check */
    struct jctx *j = calloc(1, sizeof(*j));
    if (!j)
        return false;
    j->tb = tb;
    j->user = c->cpl == 3;
    j->e.p = a->base + a->used;
    j->e.end = a->base + a->size - room;
    j->flags_stub = -1;
    j->chain = !c->has_stop_rip;
    j->tb_cpl = c->cpl;
    for (unsigned k = 0; k < tb->ninsn; k++)
        j->off[k + 1] = j->off[k] + tb->insn[k].len;

    struct emit *e = &j->e;
    uint8_t *start = e->p;
    e_push(e, RBX);
    e_push(e, R12);
    e_push(e, R13);                    /* with the return address: rsp is 16-byte aligned */
    e_mov_rr(e, true, RBX, RDI);
    e_lea(e, R13, RSI, (int32_t)offsetof(struct tb, insn));
    e_load64(e, R12, RBX, OFF(rip));
    bool rip_set = false;
    for (unsigned k = 0; k < tb->ninsn && !e->overflow; k++) {
        rip_set = false;
        j->k = k;
        j->cover = -1;
        if (!emit_inline(j, k, &rip_set)) {
            emit_call(j, k);
            rip_set = true;
        }
        if (j->cover >= 0)
            j->stubs[j->cover].resume = e->p;
    }
    if (!rip_set)
        emit_set_rip(j, j->off[tb->ninsn]);
    if (j->chain)
        emit_chain(j, c);
    uint8_t *epilogue = e->p;
    e_pop(e, R13);
    e_pop(e, R12);
    e_pop(e, RBX);
    e_ret(e);

    /* Slow paths. */
    for (unsigned s = 0; s < j->nstubs && !e->overflow; s++) {
        struct stub *st = &j->stubs[s];
        uint8_t *here = e->p;
        e_patch(st->from[0], here);
        e_patch(st->from[1], here);
        e_patch(st->from[2], here);
        for (unsigned m = 0; m < st->n; m++)
            emit_call(j, st->k + m);
        e_patch(e_jmp(e), st->resume);
    }
    /* Early exits (tb_end after instruction k): the instructions after k did not run. One
     * stub per k, shared by that instruction's calls. */
    uint8_t *common = e->p;
    e_op_mem(e, true, 0x29, RAX, RBX, HNONE, 0, OFF(icount));          /* sub [icount], rax */
    e_patch(e_jmp(e), epilogue);
    uint8_t *exit_stub[TB_MAX_INSNS] = { 0 };
    for (unsigned x = 0; x < j->nexits && !e->overflow; x++) {
        unsigned k = j->exits[x].k;
        if (!exit_stub[k]) {
            exit_stub[k] = e->p;
            e_mov_imm(e, RAX, tb->ninsn - 1 - k);
            e_patch(e_jmp(e), common);
        }
        e_patch(j->exits[x].at, exit_stub[k]);
    }
    bool ok = !e->overflow;
    if (ok) {
        a->used = (size_t)(e->p - a->base + 15) & ~(size_t)15;
        tb->jit = (jit_fn)(void *)start;
        tb->jit_cpl = c->cpl;
    }
    free(j->exits);
    free(j);
    return ok;
}
