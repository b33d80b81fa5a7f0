/* The binary translator: one translation block of 64-bit guest code -> one host function.
 *
 * The host function keeps the vCPU pointer in rbx, the guest rip at block entry in r12 (blocks are
 * keyed by guest physical address, so the same block may run at different virtual addresses) and
 * up to four guest registers in rbp, r14, r15 and r13 (the write-back register cache of
 * jit-regs.c); the block and its decoded instructions are immediates (their memory stays put until
 * the whole cache is flushed, host code with it). For each guest instruction it emits either
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
 * cmov on them: QEMU's TCG gets the same from its cc_op tracking.
 *
 * This file: the code arena and the driver (prologue, the table of forms, slow-path stubs, early
 * exits); the emitters are in jit-move.c, jit-alu.c and jit-shift.c, chaining in jit-chain.c. */
#include <stdlib.h>
#include <sys/mman.h>

#include "accel/soft/jit-int.h"

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

size_t jit_arena_used(const struct jit_arena *a)
{
    return a ? a->used : 0;
}

const uint8_t *jit_arena_base(const struct jit_arena *a)
{
    return a->base;
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
void jit_emit_call(struct jctx *j, unsigned k)
{
    const struct insn *i = &j->tb->insn[k];
    jit_regs_spill(j);                 /* the handler reads and writes the guest's registers */
    emit_rips(j, k);
    e_mov_rr(&j->e, true, RDI, RBX);
    e_mov_imm(&j->e, RSI, (uint64_t)(uintptr_t)i);
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
    j->valid = 0;                      /* the handler may have written any register */
    j->dirty = 0;
}

/* The table of forms (enum insn_form): each one's emitter and operand size. */
static const struct form_emitter {
    jit_form_fn fn;
    uint8_t size;
} forms[] = {
    [FORM_MOV_RR64] = { jit_mov_rr, 8 },    [FORM_MOV_RR32] = { jit_mov_rr, 4 },
    [FORM_MOV_RI64] = { jit_mov_ri, 8 },    [FORM_MOV_RI32] = { jit_mov_ri, 4 },
    [FORM_MOV_RMI64] = { jit_mov_rmi, 8 },
    [FORM_ALU_RR64] = { jit_alu_rr, 8 },    [FORM_ALU_RR32] = { jit_alu_rr, 4 },
    [FORM_ALU_RI64] = { jit_alu_ri, 8 },    [FORM_ALU_RI32] = { jit_alu_ri, 4 },
    [FORM_ALU_RM64] = { jit_alu_rm, 8 },    [FORM_ALU_RM32] = { jit_alu_rm, 4 },
    [FORM_ALU_MR64] = { jit_alu_mr, 8 },    [FORM_ALU_MR32] = { jit_alu_mr, 4 },
    [FORM_ALU_MI64] = { jit_alu_mi, 8 },    [FORM_ALU_MI32] = { jit_alu_mi, 4 },
    [FORM_TEST_RR64] = { jit_test_rr, 8 },  [FORM_TEST_RR32] = { jit_test_rr, 4 },
    [FORM_LOAD64] = { jit_load, 8 },        [FORM_LOAD32] = { jit_load, 4 },
    [FORM_STORE64] = { jit_store, 8 },      [FORM_STORE32] = { jit_store, 4 },
    [FORM_MOV_MI64] = { jit_mov_mi, 8 },    [FORM_MOV_MI32] = { jit_mov_mi, 4 },
    [FORM_LEA64] = { jit_lea, 8 },        [FORM_LEA32] = { jit_lea, 4 },
    [FORM_INCDEC64] = { jit_incdec, 8 },    [FORM_INCDEC32] = { jit_incdec, 4 },
    [FORM_JCC] = { jit_jcc, 8 },            [FORM_JMP] = { jit_jmp, 8 },
    [FORM_CALL64] = { jit_call, 8 },        [FORM_RET64] = { jit_ret, 8 },
    [FORM_PUSH64] = { jit_push, 8 },        [FORM_POP64] = { jit_pop, 8 },
};

/* Host code for instruction k by its form's emitter, or for FORM_NONE by opcode; false: call
 * its handler. */
static bool emit_inline(struct jctx *j, unsigned k)
{
    const struct insn *i = &j->tb->insn[k];
    if (i->form != FORM_NONE && i->form < sizeof(forms) / sizeof(forms[0]) && forms[i->form].fn)
        return forms[i->form].fn(j, i, forms[i->form].size);
    jit_regs_spill_for(j, j->k);       /* these read and write registers in struct cpu too */
    return jit_move_op(j, i) || jit_move_narrow(j, i) || jit_alu_op(j, i) || jit_alu8_op(j, i) || jit_unary_op(j, i) || jit_alu16_op(j, i) ||
           jit_shift_op(j, i) || jit_string_op(j, i) ||
           jit_lock_op(j, i) || jit_branch_op(j, i) || jit_sse_op(j, i);
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
    j->budget = !c->kick_only;
    for (unsigned k = 0; k < tb->ninsn; k++)
        j->off[k + 1] = j->off[k] + tb->insn[k].len;
    const struct insn *last = &tb->insn[tb->ninsn - 1];
    j->self_loop = tb->cached && !tb->page2 && (last->form == FORM_JCC || last->form == FORM_JMP) &&
                   (int64_t)j->off[tb->ninsn] + (int64_t)last->imm == 0;
    j->back_writer = jit_back_edge_writer(j, &j->back_logic);
    jit_regs_plan(j);

    struct emit *e = &j->e;
    jit_emit_direct_entry(j);
    uint8_t *start = e->p;
    e_push(e, RBX);
    e_push(e, R12);
    jit_regs_save(j);
    e_mov_rr(e, true, RBX, RDI);
    e_load64(e, R12, RBX, OFF(rip));
    /* A chained jump enters here with r12 already the block's rip (jit-chain.c, jit-link.c): it
     * comes in a register, not through a store to c->rip and a load of it, which would put the
     * store-to-load forwarding latency before every rip-relative address of the block. */
    if (e->p - start != JIT_CHAIN_ENTRY)
        e->overflow = true;            /* (the encoder changed: fix JIT_CHAIN_ENTRY) */
    jit_regs_settle(j);
    /* The frame's pad <- the chain epochs this entry was found under (jit-chain.c's loops). */
    e_load64(e, RAX, RBX, OFF(chain_epoch));
    e_store64(e, RAX, RSP, 0);
    if (j->self_loop && ((uintptr_t)e->p & 31)) {
        /* A loop's head at a 32-byte boundary, jumped to over the gap: the host fetches and
         * decodes by aligned chunks, and a 5-instruction guest loop ran 33% slower at one
         * alignment than at another (tests/isa/bench's int-alt, 0.113 s against 0.083 s). */
        uint8_t *to = (uint8_t *)(((uintptr_t)e->p + 2 + 31) & ~(uintptr_t)31);
        e_byte(e, 0xeb);                                               /* jmp short to */
        e_byte(e, (uint8_t)(to - (e->p + 1)));
        while (e->p < to && e->p < e->end)
            e_byte(e, 0xcc);
    }
    j->self_entry = e->p;              /* rbx, r12 and the cached registers as they are */
    if (j->self_loop)
        jit_regs_self_entry(j);        /* the back edge comes here without a spill (jit-regs.c) */
    for (unsigned k = 0; k < tb->ninsn && !e->overflow; k++) {
        j->rip_set = false;
        j->k = k;
        j->cover = -1;
        jit_regs_prepare(j, k);
        if (!emit_inline(j, k)) {
            jit_emit_call(j, k);
            j->rip_set = true;
        }
        if (j->cover >= 0) {
            j->stubs[j->cover].resume = e->p;
            j->stubs[j->cover].valid = j->valid;
        }
    }
    if (!j->rip_set)
        jit_emit_set_rip(j, j->off[tb->ninsn]);
    jit_emit_shadow_done(j);
    if (j->chain) {
        jit_regs_settle(j);
        jit_emit_chain(j);             /* (spills on each way out, not on the way round) */
    } else {
        jit_regs_spill(j);
    }
    uint8_t *epilogue = e->p;
    /* For next_tb: where, under which epochs (the frame's pad) and privilege the block whose
     * code this is was entered (exec.c's same-page chaining). */
    e_store64(e, R12, RBX, OFF(entry_rip));
    e_load64(e, RAX, RSP, 0);
    e_store64(e, RAX, RBX, OFF(entry_epochs));
    e_op_mem(e, false, 0xc6, 0, RBX, HNONE, 0, OFF(entry_cpl));        /* mov byte [..], cpl */
    e_byte(e, j->tb_cpl);
    jit_regs_restore(j);
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
        jit_regs_store(j, st->dirty);
        j->valid = j->dirty = 0;
        for (unsigned m = 0; m < st->n; m++)
            jit_emit_call(j, st->k + m);
        jit_regs_reload(j, st->valid);
        e_patch(e_jmp(e), st->resume);
    }
    /* Early exits (tb_end after instruction k), all after a handler call, so spilled: the
     * instructions after k did not run, taken off the count where it is kept exactly (cpu.h's
     * icount). One stub per k, shared by that instruction's calls. */
    uint8_t *common = e->p;
    if (j->budget) {
        e_op_mem(e, true, 0x29, RAX, RBX, HNONE, 0, OFF(icount));      /* sub [icount], rax */
        e_patch(e_jmp(e), epilogue);
    }
    uint8_t *exit_stub[TB_MAX_INSNS] = { 0 };
    for (unsigned x = 0; x < j->nexits && !e->overflow; x++) {
        unsigned k = j->exits[x].k;
        if (!j->budget)
            exit_stub[k] = epilogue;
        if (!exit_stub[k]) {
            exit_stub[k] = e->p;
            e_mov_imm(e, RAX, tb->ninsn - 1 - k);
            e_patch(e_jmp(e), common);
        }
        e_patch(j->exits[x].at, exit_stub[k]);
    }
    jit_emit_link_tail(j, start, epilogue);
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
