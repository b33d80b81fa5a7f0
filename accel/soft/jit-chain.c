/* Block chaining in the translator: a block that runs to its end jumps straight into the next
 * block's host code (QEMU's goto_tb and its jump cache) when cpu_exec has nothing to do between.
 * A block that jumps back to its own start goes round by jit-loop.c's way. */
#include "accel/soft/jit-int.h"

/* What every chained exit looks at first; a "no" jumps to *out[] (back to cpu_exec). */
static void emit_checks(struct jctx *j, uint8_t **out, unsigned *nout)
{
    struct emit *e = &j->e;
    /* syscall/sysret change the privilege without ending the block: chains are for tb_cpl. Only
     * handlers change it: a block that calls none on its straight-line path (no exit sites yet:
     * the slow paths, emitted later, run only instructions that have inline forms - loads,
     * stores, ALU ops, near jumps, calls and returns - whose handlers change no privilege, a
     * fault leaving by longjmp; jit-flags.c's calls only read the lazy record) is still at the
     * privilege it was entered at, tb_cpl. (The slots, the jump cache and the links are each
     * also checked at tb_cpl below: this compare sends such a block to cpu_exec at once.) */
    if (j->nexits) {
        e_op_mem(e, false, 0x80, 7, RBX, HNONE, 0, OFF(cpl));
        e_byte(e, j->tb_cpl);
        out[(*nout)++] = e_jcc(e, CC_NE);
    }
    /* The attention word (cpu.h): halt, NMI, interrupt shadow, armed debug registers, attn (TF
     * or an interrupt IF now lets in), kick (a stop request, an interrupt request from another
     * thread) and code_attn (another vCPU made a page code). A stop request and an interrupt
     * request always come with a kick (machine/vm.c, hw/apic.h), a bump of the code epoch with
     * code_attn (tb.c), so neither the stop flag, the interrupt hint nor the epoch is read here. */
    _Static_assert(offsetof(struct cpu, nmi_pending) == offsetof(struct cpu, halted) + 1 &&
                   offsetof(struct cpu, irq_shadow) == offsetof(struct cpu, halted) + 2 &&
                   offsetof(struct cpu, dr_armed) == offsetof(struct cpu, halted) + 3 &&
                   offsetof(struct cpu, attn) == offsetof(struct cpu, halted) + 4 &&
                   offsetof(struct cpu, kick) == offsetof(struct cpu, halted) + 5 &&
                   offsetof(struct cpu, code_attn) == offsetof(struct cpu, halted) + 6 &&
                   offsetof(struct cpu, attn_pad) == offsetof(struct cpu, halted) + 7 &&
                   offsetof(struct cpu, halted) % 8 == 0, "halted..kick: one 64-bit word");
    e_alu_mi(e, true, 7, RBX, OFF(halted), 0);                         /* cmp qword [halted..], 0 */
    out[(*nout)++] = e_jcc(e, CC_NE);
    if (j->budget) {
        /* The budget (the flat runner's limit; a VM's vCPU leaves on kicks: kick_only). Without
         * these three instructions at every chained jump a Linux boot took 2.8 s of user CPU
         * time rather than 3.5 s (one vCPU, best of two). */
        e_load64(e, RDX, RBX, OFF(icount));
        e_op_mem(e, true, 0x3b, RDX, RBX, HNONE, 0, OFF(icount_limit));
        out[(*nout)++] = e_jcc(e, CC_AE);
    }
}

/* A block ending in a jcc left on EFLAGS (jctx.split): one exit per way, each storing its rip
 * (rcx too), making the checks and trying the self loop or its link; what misses goes to
 * *miss[] (the chain slots and the jump cache, rcx = rip). Each way stores insn_rip too (the
 * jcc's: tb_find's #GP for a non-canonical rip belongs to it) but a self loop's back edge,
 * whose rip, the block's start, is canonical; nothing else reads insn_rip before setting it.
 * The back edge of a block that calls nothing leaves c->rip as it is: the block's start
 * already (jit_calls_nothing).
 *
 * Where the lazy record of the block's last flags writer was left out (jctx.back_writer: dead on
 * the back edge, jit-flags.c), the host's EFLAGS hold the guest's six flags at the jcc; they are
 * saved in ax before it (lahf and seto change no flag) and stored to cpu->flags, lazy record
 * LF_NONE, on every way out but the back edge itself: first thing on the other way, and on the
 * back edge's way wherever a check fails or the self loop falls through to the chain code, so
 * that cpu_exec, the next block and anything it calls find them as the interpreter leaves them.
 * The checks on that way keep ax (they use rdx, rsi and rcx). */
static void emit_split(struct jctx *j, uint8_t **out, unsigned *nout, uint8_t **miss)
{
    struct emit *e = &j->e;
    bool saved = j->back_writer >= 0;
    if (saved)
        jit_emit_flags_save(j);
    uint8_t *taken = e_jcc(e, j->split_cc);
    for (unsigned w = 0; w < 2; w++) {
        if (w)
            e_patch(taken, e->p);
        bool self = j->self_loop && j->split_off[w] == 0, falls = true;
        if (saved && !self)
            jit_emit_flags_store(j, j->back_logic, RAX);
        if (!self)
            jit_emit_insn_rip(j, j->tb->ninsn - 1);
        if (!self || !jit_calls_nothing(j)) {
            e_lea(e, RCX, R12, (int32_t)j->split_off[w]);
            e_store64(e, RCX, RBX, OFF(rip));
        }
        unsigned first = *nout;
        emit_checks(j, out, nout);
        if (self)
            falls = jit_emit_self_loop(j, true, out, nout);
        if (saved && self && falls)
            jit_emit_flags_store(j, j->back_logic, RAX);
        if (falls) {
            jit_regs_store(j, j->dirty);
            jit_emit_link_to(j, j->split_off[w]);
            miss[w] = e_jmp(e);
        }
        if (saved && self && *nout > first) {
            /* This way's failed checks: the flags stored, then back to cpu_exec. */
            for (unsigned x = first; x < *nout; x++)
                e_patch(out[x], e->p);
            jit_emit_flags_store(j, j->back_logic, RAX);
            *nout = first;
            out[(*nout)++] = e_jmp(e);
        }
    }
}

/* The end of a block that ran to its end: rather than return to cpu_exec, jump straight into the
 * next block's host code (QEMU's goto_tb, through the block's chain slots that next_tb fills) when
 * nothing needs cpu_exec's attention between the blocks: the attention word clear (no kick or
 * stop request, no interrupt that could be taken, no interrupt shadow, single-step, breakpoint,
 * halt or NMI), the budget not spent (where it is looked at: jit-int.h's budget), no vCPU newly
 * translating code. Any doubt returns to cpu_exec, which decides the same things the slow way.
 * The jump enters the next block past its prologue (JIT_CHAIN_ENTRY: every block's frame is the
 * same), with rsi = that block as cpu_exec would pass it and r12 = its rip.
 * The cached registers are spilled (jit-regs.c) on every way out: at once in a block that does
 * not loop on itself; in one that does, past the way round (which keeps them in host registers)
 * and where the checks send it to cpu_exec (stores that leave EFLAGS and the registers alone). */
void jit_emit_chain(struct jctx *j)
{
    struct emit *e = &j->e;
    uint8_t *out[40];
    unsigned nout = 0;
#define OUT(cc) (out[nout++] = e_jcc(e, (cc)))
    uint8_t *miss[2] = { NULL, NULL };
    int64_t off;
    if (!j->self_loop)
        jit_regs_spill(j);
    if (j->split) {
        emit_split(j, out, &nout, miss);
    } else if (jit_exit_known(j, &off)) {
        /* A jmp or call: rcx <- its rip (stored already), its one site with no rip compare. */
        emit_checks(j, out, &nout);
        e_lea(e, RCX, R12, (int32_t)off);
        if (!j->self_loop || jit_emit_self_loop(j, off == 0, out, &nout)) {
            jit_regs_store(j, j->dirty);
            jit_emit_link_to(j, off);
        }
    } else {
        emit_checks(j, out, &nout);
        if (j->self_loop)
            jit_emit_self_loop(j, false, out, &nout);
        jit_regs_store(j, j->dirty);
        /* This block's direct links (jit-link.c), then its chain slots (rdx = the block),
         * valid for the current chain epoch. */
        e_load64(e, RCX, RBX, OFF(rip));
        jit_emit_links(j);
    }
    for (unsigned w = 0; w < 2; w++)
        if (miss[w])
            e_patch(miss[w], e->p);
    e_mov_imm(e, RDX, (uint64_t)(uintptr_t)j->tb);
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
    e_load32(e, RDI, RSI, TBF(gen));
    e_load64(e, RDX, RSI, TBF(page));
    e_op_mem(e, false, 0x3b, RDI, RDX, HNONE, 0, (int32_t)offsetof(struct code_page, gen));
    OUT(CC_NE);
    /* An instruction that runs on into the next page (tb.h's page2): that page not written
     * either (its mapping was checked when the slot or jump-cache entry was filled). */
    e_load64(e, RDX, RSI, TBF(page2));
    e_op_rr(e, true, 0x85, RDX, RDX);
    uint8_t *one_page = e_jcc(e, CC_E);
    e_load32(e, RDI, RSI, TBF(gen2));
    e_op_mem(e, false, 0x3b, RDI, RDX, HNONE, 0, (int32_t)offsetof(struct code_page, gen));
    OUT(CC_NE);
    e_patch(one_page, e->p);
    /* Enter it as run_tb would: last_tb, the instruction count where it is kept (cpu.h); r12 <-
     * its rip (rcx, kept from the slot or jump-cache compare: JIT_CHAIN_ENTRY). Nothing leaves
     * for cpu_exec past here, so the epilogue's entry_rip is never this rip with the last
     * block's other state. */
    e_store64(e, RSI, RBX, OFF(last_tb));
    if (j->budget) {
        e_op_mem(e, false, 0x0fb7, RDI, RSI, HNONE, 0, TBF(ninsn));     /* movzx edi, word */
        e_op_mem(e, true, 0x01, RDI, RBX, HNONE, 0, OFF(icount));       /* add [icount], rdi */
    }
    e_mov_rr(e, true, R12, RCX);
    /* This block again (a loop, perhaps at another virtual address: hence r12 above): its
     * cached registers are all loaded (jit_regs_settle) and stored, so clean, as its self entry
     * may take them. */
    e_mov_imm(e, RCX, (uint64_t)(uintptr_t)j->tb);
    e_op_rr(e, true, 0x39, RCX, RSI);                                   /* cmp rsi, rcx */
    e_patch(e_jcc(e, CC_E), j->self_entry);
    /* Another: past its prologue, the frame being the same (rbx kept, rsi = the block). */
    e_alu_ri(e, true, 0, RAX, JIT_CHAIN_ENTRY);
    e_op_rr(e, false, 0xff, 4, RAX);                                    /* jmp rax */
    for (unsigned x = 0; x < nout; x++)
        e_patch(out[x], e->p);
    jit_regs_spill(j);                 /* (to the epilogue) */
#undef OUT
}
