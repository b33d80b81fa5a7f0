/* A block that jumps to its own start (a loop of one block) goes round without the chain lookup,
 * after the checks every chained jump makes (jit-chain.c) and the few that say it is still the
 * block at that rip: its code page not written since translation, always; the chain epochs
 * unchanged since it was entered, only where it calls a handler (nothing else on its vCPU bumps
 * them, and no other thread does). Its back edge keeps r12 (the rip is the block's start, where
 * r12 points) and insn_rip (read before it is set only by tb_find's #GP for a non-canonical rip,
 * which the block's start is not) and last_tb (the block already) and, in a block that calls
 * nothing, c->rip (the block's start already: jit-chain.c's emit_split), and the cached guest
 * registers in host registers (jit-regs.c). Where the lazy record of the block's last flags
 * writer is dead on the back edge (jit-flags.c), the flags are saved before the split jcc and
 * stored to cpu->flags on every way out but the back edge (emit_split). */
#include "accel/soft/jit-int.h"

/* The block calls nothing: no handler (no exit sites, no slow paths; jit-record.c's calls only
 * read the lazy record). Only handlers and cpu_exec, on this vCPU's thread, bump its chain epoch
 * (tlb.c's flushes, seg.c, tb.c) or write c->rip before the block's end, so from the block's
 * entry to its end its chain epochs are those it was entered under (the frame's pad) and c->rip
 * is the block's start (its entries store it; r12 holds it). */
bool jit_calls_nothing(const struct jctx *j)
{
    return j->nexits == 0 && j->nstubs == 0;
}

/* A block that jumps back to its own start goes round again without looking at its chain slots
 * when it is still the block at rip: the same rip as at entry (r12, then not reloaded), no chain
 * epoch bumped since it was entered (no mapping of a virtual page to blocks may have changed: the
 * frame's pad holds the epochs it was entered under; nothing to compare in a block that calls
 * nothing) and its code page not written since translation (by this vCPU, another or DMA: always
 * compared). last_tb is the block already: run_tb, the chain code and the direct entry set it
 * on entry, and only cpu_exec's own paths (exec.c, tb.c's flush from translate) change it, no
 * handler. True: a way falls through (another rip, or the epochs moved). */
bool jit_emit_self_loop(struct jctx *j, bool known, uint8_t **out, unsigned *nout)
{
    struct emit *e = &j->e;
    _Static_assert(offsetof(struct cpu, chain_epoch_ng) == offsetof(struct cpu, chain_epoch) + 4,
                   "chain_epoch, chain_epoch_ng: one 64-bit word");
    bool quiet = jit_calls_nothing(j);
    uint8_t *other = NULL, *moved = NULL;
    if (!known) {                      /* (known: the way to the block's own start; rcx = rip) */
        e_load64(e, RCX, RBX, OFF(rip));
        e_op_rr(e, true, 0x39, R12, RCX);                               /* cmp rcx, r12 */
        other = e_jcc(e, CC_NE);
    }
    if (!quiet) {
        e_load64(e, RDX, RBX, OFF(chain_epoch));
        e_op_mem(e, true, 0x3b, RDX, RSP, HNONE, 0, 0);                 /* cmp rdx, [rsp] */
        moved = e_jcc(e, CC_NE);
    }
    e_mov_imm(e, RDX, (uint64_t)(uintptr_t)j->tb->page);
    e_op_mem(e, false, 0x81, 7, RDX, HNONE, 0, (int32_t)offsetof(struct code_page, gen));
    e_u32(e, j->tb->gen);                                              /* cmp [page->gen], gen */
    out[(*nout)++] = e_jcc(e, CC_NE);
    if (j->budget)
        e_alu_mi(e, true, 0, RBX, OFF(icount), j->tb->ninsn);           /* add [icount], n */
    e_patch(e_jmp(e), j->self_entry);
    if (other)
        e_patch(other, e->p);
    if (moved)
        e_patch(moved, e->p);
    return other || moved;
}
