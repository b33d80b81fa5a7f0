/* What the translator's files (jit.c: arena and driver; jit-mem.c: addresses and the inline soft
 * TLB; jit-flags.c and jit-record.c: the guest's flags in EFLAGS and the lazy record; jit-alu.c,
 * jit-move.c, jit-shift.c, jit-string.c, jit-grp2.c, jit-alu8.c, jit-alu16.c, jit-unary.c,
 * jit-lock.c, jit-move8.c, jit-branch.c, jit-sse.c: the per-form emitters; jit-chain.c: block
 * chaining, jit-loop.c: a block's jump to its own start; jit-link.c: direct links; jit-regs.c,
 * jit-regs-plan.c: the register cache) share: the translation context and the layout of struct
 * cpu as the host code addresses it. Private to them. */
#ifndef VMON_ACCEL_SOFT_JIT_INT_H
#define VMON_ACCEL_SOFT_JIT_INT_H

#include <stddef.h>

#include "accel/soft/jit.h"
#include "accel/soft/tb.h"
#include "accel/soft/x86-emit.h"

#define OFF(f) ((int32_t)offsetof(struct cpu, f))
#define GPR(r) (OFF(gpr) + 8 * (int32_t)(r))
#define LF(f) (OFF(lf) + (int32_t)offsetof(struct lazy_flags, f))
#define TLBE(f) ((int32_t)offsetof(struct tlb_entry, f))
#define TBF(f) ((int32_t)offsetof(struct tb, f))

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
    uint16_t valid;            /* the cached registers valid at resume: reloaded before it */
    uint16_t dirty;            /* the cached registers dirty at from[], stored before its calls */
};

#define JIT_NCACHE 4           /* guest registers cached in host registers per block (jit-regs.c) */
/* Where a chained jump enters a block: past the pushes, rbx's setup and r12's load from c->rip,
 * which are the same in every block (jit_translate checks), with rsi = the block as cpu_exec
 * would pass it and r12 = the rip it is entered at. */
#define JIT_CHAIN_ENTRY 28

/* A direct link site in a block's chain code (jit-link.c): R, the return address of its call,
 * names it; the jumps to patch once the link stub is placed. */
struct link_site {
    uint8_t *r, *miss[2], *call;
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
    bool rip_set;              /* its host code set c->rip (a jump, call or return) */
    bool chain;                /* blocks may jump straight to the next translated block */
    uint8_t *self_entry;       /* where a chained jump from the block to itself enters it */
    bool self_loop;            /* the block ends in a jump to its own start */
    /* The instruction (-1: none) whose lazy record is dead on the block's back edge, the guest's
     * flags being stored from the host's on every other way out (jit-flags.c, jit-chain.c);
     * back_logic: it is a logic op (AF 0 in the record, whatever the host's). */
    int back_writer;
    bool back_logic;
    /* The block ends in a jcc whose condition is left in the host's EFLAGS as host condition
     * split_cc (no slow path comes back past it): the chain code branches on it into one exit
     * per way (jit-chain.c), each with its rip known: split_off[0] not taken, [1] taken. */
    bool split;
    uint8_t split_cc;
    int64_t split_off[2];
    uint8_t tb_cpl;            /* the privilege the block is translated for */
    bool budget;               /* chained jumps look at icount_limit (not for kick_only vCPUs) */
    /* The register cache (jit-regs.c): guest register r lives in host register host_of[r]
     * (HNONE: not cached); valid: those whose host register holds the value now; dirty: those
     * whose host register holds a value struct cpu does not have yet (always within valid). */
    uint8_t host_of[16];
    unsigned ncache;
    uint16_t cached, valid, dirty;
    struct stub stubs[2 * TB_MAX_INSNS];   /* at most two per instruction (jit-branch.c's, jit-sse.c's) */
    unsigned nstubs;
    /* Jumps to "instruction k ended the block" (one per handler call, slow paths included). */
    struct exit_site { uint8_t *at; unsigned k; } *exits;
    unsigned nexits, cap;
    /* Direct links (jit-link.c): the block's sites, its direct entry's jumps to patch. */
    struct link_site sites[2];
    unsigned nsites;
    uint8_t *direct_stale, *direct_enter, *link_out;
};

/* Guest register r's bit in the register cache's masks (jit-regs.c); none for r >= 16. */
static inline uint16_t jit_reg_bit(unsigned r)
{
    return r < 16 ? (uint16_t)(1u << r) : 0;
}

/* Byte register r of instruction i is AH, CH, DH or BH (4-7 without a REX prefix). */
static inline bool jit_high8(const struct insn *i, unsigned r)
{
    return r >= 4 && r < 8 && !i->rex;
}

static inline bool fits32(int64_t v)
{
    return v == (int32_t)v;
}

/* An emitter of one instruction form (jit-alu.c, jit-move.c; jit.c's table of forms): host code
 * for instruction j->k at operand size sz, or false (nothing emitted) to call its handler. */
typedef bool (*jit_form_fn)(struct jctx *j, const struct insn *i, unsigned sz);

/* jit.c */
void jit_emit_call(struct jctx *j, unsigned k);

/* jit-mem.c */
bool jit_addr_ok(const struct jctx *j, unsigned k, const struct insn *i);
void jit_emit_addr(struct jctx *j, unsigned k, const struct insn *i, bool with_seg);
void jit_emit_tlb(struct jctx *j, unsigned k, unsigned size, bool write);
void jit_stub_done(struct jctx *j);
void jit_emit_mem_operand(struct jctx *j, unsigned k, const struct insn *i, unsigned size, bool write);
int32_t jit_reg8_off(const struct insn *i, unsigned r);

/* jit-regs-plan.c */
void jit_regs_plan(struct jctx *j);
void jit_regs_self_entry(struct jctx *j);
uint16_t jit_insn_regs(const struct insn *i);
uint16_t jit_insn_touch(const struct insn *i);

/* jit-regs.c */
void jit_regs_save(struct jctx *j);
void jit_regs_restore(struct jctx *j);
void jit_regs_settle(struct jctx *j);
void jit_regs_prepare(struct jctx *j, unsigned k);
void jit_regs_reload(struct jctx *j, uint16_t m);
void jit_regs_store(struct jctx *j, uint16_t m);
void jit_regs_spill(struct jctx *j);
void jit_regs_spill_for(struct jctx *j, unsigned k);
void jit_set_reg(struct jctx *j, unsigned r);
unsigned jit_cached(const struct jctx *j, unsigned r);
void jit_load_reg(struct jctx *j, unsigned h, unsigned r, unsigned size);
void jit_store_reg(struct jctx *j, unsigned h, unsigned r);
void jit_store_reg_sz(struct jctx *j, const struct insn *i, unsigned h, unsigned r, unsigned sz);
void jit_clobber(struct jctx *j, unsigned r);
void jit_clobber8(struct jctx *j, const struct insn *i, unsigned r);

/* jit-flags.c */
void jit_flags_now_live(struct jctx *j);
void jit_use_live_flags(struct jctx *j);
bool jit_lf_dead(const struct jctx *j, unsigned k, bool live_after);
int jit_back_edge_writer(const struct jctx *j, bool *logic);
void jit_emit_flags_save(struct jctx *j);
void jit_emit_flags_store(struct jctx *j, bool logic, unsigned of);
void jit_emit_lf_logic(struct jctx *j, unsigned size);
void jit_emit_clear_af(struct jctx *j);

/* jit-record.c: the flags read back from the lazy record. */
void jit_emit_cond(struct jctx *j, unsigned *cc);
void jit_emit_cf_r8(struct jctx *j);
void jit_emit_cf_live(struct jctx *j);

/* jit-move.c: moves, loads and stores, lea, the stack, jumps; by opcode (FORM_NONE): nop,
 * movsxd, movzx/movsx, setcc, cmov. */
bool jit_mov_rr(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_mov_ri(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_mov_rmi(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_lea(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_load(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_store(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_mov_mi(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_push(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_pop(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_ret(struct jctx *j, const struct insn *i, unsigned sz);
void jit_emit_push_rcx(struct jctx *j, unsigned k);
void jit_emit_insn_rip(struct jctx *j, unsigned k);
bool jit_call(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_jmp(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_jcc(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_move_op(struct jctx *j, const struct insn *i);
void jit_emit_set_rip(struct jctx *j, int64_t off);

/* jit-move8.c: byte and word moves (88, 89, 8A, 8B, C6, C7 at 8/16 bits) by opcode. */
bool jit_move_narrow(struct jctx *j, const struct insn *i);

/* jit-alu.c: the eight ALU operations, test, inc/dec; by opcode (FORM_NONE): test r8, ALU ops on
 * the accumulator, cmp/test of a byte in memory. */
bool jit_alu_rr(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_alu_ri(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_alu_rm(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_alu_mr(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_alu_mi(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_test_rr(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_incdec(struct jctx *j, const struct insn *i, unsigned sz);
bool jit_alu_op(struct jctx *j, const struct insn *i);
bool jit_emit_alu(struct jctx *j, unsigned k, unsigned op, unsigned size);
void jit_carry_in(struct jctx *j, unsigned op);

/* jit-alu8.c: by opcode, the register forms of the 8/16-bit ALU ops (00..3B, 80..83), test with an
 * immediate (A8, A9, F6/F7 /0), not/neg of a register, cbw/cwd, bswap, movsxd from memory. */
bool jit_alu8_op(struct jctx *j, const struct insn *i);

/* jit-unary.c: inc/dec, not, neg on memory (FE, FF, F6, F7) at every width, by opcode. */
bool jit_unary_op(struct jctx *j, const struct insn *i);
void jit_emit_neg_record(struct jctx *j, unsigned sz);

/* jit-alu16.c: the 16-bit ALU ops on memory (01..39 odd Ev,Gv, 3B, 81, 83), by opcode. */
bool jit_alu16_op(struct jctx *j, const struct insn *i);

/* jit-shift.c: by opcode, shifts and rotates (to jit-grp2.c), imul, bt (register operands). */
bool jit_shift_op(struct jctx *j, const struct insn *i);

/* jit-grp2.c: shifts by an immediate, 1 or CL (every width) and rotates by an immediate of a
 * register, by opcode; whether one rewrites all the flags without reading them
 * (insn_writes_flags). */
bool jit_grp2(struct jctx *j, const struct insn *i);
bool jit_grp2_writes(const struct insn *i, bool live);

/* jit-string.c: rep movs/stos by opcode. */
bool jit_string_op(struct jctx *j, const struct insn *i);

/* jit-branch.c: call/jmp near through r/m64, push r/m64 (FF /2 /4 /6). */
bool jit_branch_op(struct jctx *j, const struct insn *i);

/* jit-lock.c: locked ALU ops, inc/dec, xchg, cmpxchg and xadd on memory, by opcode. */
bool jit_lock_op(struct jctx *j, const struct insn *i);

/* jit-sse.c: SSE2 moves, bitwise and packed-integer ops, movd/movq, pmovmskb, by opcode. */
bool jit_sse_op(struct jctx *j, const struct insn *i);

/* jit-chain.c */
void jit_emit_chain(struct jctx *j);

/* jit-loop.c: a block's jump back to its own start. */
bool jit_calls_nothing(const struct jctx *j);
bool jit_emit_self_loop(struct jctx *j, bool known, uint8_t **out, unsigned *nout);

/* jit-link.c: the direct entry (before the prologue), the link sites (in the chain code, rcx =
 * c->rip) and, after the epilogue, their stubs. */
void jit_emit_direct_entry(struct jctx *j);
void jit_emit_links(struct jctx *j);
bool jit_exit_known(const struct jctx *j, int64_t *off);
void jit_emit_link_to(struct jctx *j, int64_t off);
void jit_emit_link_tail(struct jctx *j, const uint8_t *start, const uint8_t *epilogue);
void jit_emit_shadow_done(struct jctx *j);   /* at the end of a block that ends after an sti */

#endif
