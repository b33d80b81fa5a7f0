/* The translator's register cache: up to four of a block's most named guest registers are kept
 * in the host's callee-saved rbp, r14, r15 and r13 while its host code runs (as TCG keeps guest
 * registers in host registers as globals), so that reading them costs a register move, not a
 * load. The cache is write-back: a write of a cached guest register goes into its host register
 * only, which is then dirty (jctx.dirty: struct cpu's copy is stale), and the value reaches
 * struct cpu when the dirty registers are spilled (jit_regs_spill: one store each, dirty = 0).
 *
 * Invariant: dirty is a subset of valid (a host register that does not hold the value cannot
 * hold a newer one), and at every point where anything but this block's inline code reads or
 * writes a guest register in struct cpu, the dirty set is empty. Those points, each spilling first:
 *   - every handler call (jit_emit_call), so a handler, and a fault's longjmp out of it to
 *     cpu_exec, finds the exact guest state of the instruction before (SDM vol. 3, 6.5); the
 *     handler may write any register, so after it none is valid;
 *   - a slow-path stub (jit.c): its from[] jumps leave the inline code with the dirty set as it
 *     was there (stub.dirty), which the stub stores before its handlers; it then reloads the
 *     registers valid where it resumes, all clean, which is a subset of what the inline path has
 *     dirty there (a clean register counted dirty costs a store, never a wrong value);
 *   - the ways out of the block: the epilogue (to cpu_exec), a chained jump into another block
 *     through a link site, a chain slot or the jump cache (jit-chain.c, jit-link.c: the next block
 *     loads its registers from struct cpu), and the end of a block that does not chain;
 *   - an instruction emitted by opcode (FORM_NONE: jit.c's emit_inline), whose emitter may read
 *     and write byte, word and implicit registers (rep movs/stos, cbw, setcc ...) in struct cpu
 *     directly and tell the cache so (jit_clobber): the dirty registers it may touch
 *     (jit_insn_touch) are spilled before it; the form emitters go through the cache only.
 * Other host code that reads struct cpu (jit-record.c's jit_arith and jit_cf, jit-grp2.c's
 * jit_rot_flags) reads the lazy-flags record, never a register, and needs no spill.
 *
 * A block that jumps back to its own start (jctx.self_loop) does not spill on that back edge: at
 * its self entry every cached register the block may write counts as dirty (jit_regs_self_entry),
 * so the registers stay in host registers across iterations and a spill point after it stores
 * each of them that is not known clean there (four stores at most).
 *
 * A cached register is loaded at the top of the first instruction that names it, in the block's
 * straight-line code (never inside an emitter's branches), and stays valid while every write to
 * it also goes into its host register (jit_store_reg, jit_set_reg). It stops being valid when a
 * handler runs or when host code writes it in struct cpu some other way (jit_clobber). Which
 * registers a block caches, and which an instruction may name or touch: jit-regs-plan.c. */
#include "accel/soft/jit-int.h"

/* Prologue and epilogue: save all four host registers, whichever the block uses, so that every
 * block's frame is the same and a chained jump enters the next block past its prologue
 * (jit-chain.c); rsp stays 16-byte aligned (the prologue has pushed rbx and r12, the return address
 * makes three, these four and a pad five more). */
void jit_regs_save(struct jctx *j)
{
    e_push(&j->e, R13);
    e_push(&j->e, RBP);
    e_push(&j->e, R14);
    e_push(&j->e, R15);
    e_lea(&j->e, RSP, RSP, -8);
}

void jit_regs_restore(struct jctx *j)
{
    e_lea(&j->e, RSP, RSP, 8);
    e_pop(&j->e, R15);
    e_pop(&j->e, R14);
    e_pop(&j->e, RBP);
    e_pop(&j->e, R13);
}

/* Make every cached register valid: at block entry (all of them) and before the jump to the next
 * block (those a handler or a clobber left invalid), where the block may jump to its own start. */
void jit_regs_settle(struct jctx *j)
{
    jit_regs_reload(j, j->cached & (uint16_t)~j->valid);      /* (clean: dirty is within valid) */
    j->valid = j->cached;
}

/* Before instruction k: load the cached registers it names that are not loaded yet. */
void jit_regs_prepare(struct jctx *j, unsigned k)
{
    uint16_t m = jit_insn_regs(&j->tb->insn[k]) & j->cached & (uint16_t)~j->valid;
    jit_regs_reload(j, m);
    j->valid |= m;
}

/* Load the cached registers in mask m from struct cpu (mov keeps EFLAGS). */
void jit_regs_reload(struct jctx *j, uint16_t m)
{
    for (unsigned r = 0; r < 16; r++)
        if (m & jit_reg_bit(r))
            e_load64(&j->e, j->host_of[r], RBX, GPR(r));
}

/* Store the cached registers in mask m (valid ones) to struct cpu; the state is unchanged. */
void jit_regs_store(struct jctx *j, uint16_t m)
{
    for (unsigned r = 0; r < 16; r++)
        if (m & jit_reg_bit(r))
            e_store64(&j->e, j->host_of[r], RBX, GPR(r));
}

/* Spill the dirty ones of the cached registers in mask m: stored to struct cpu, clean then (mov
 * keeps EFLAGS). */
static void spill_mask(struct jctx *j, uint16_t m)
{
    m &= j->dirty;
    jit_regs_store(j, m);
    j->dirty &= (uint16_t)~m;
}

/* Spill: struct cpu <- every dirty cached register. */
void jit_regs_spill(struct jctx *j)
{
    spill_mask(j, j->dirty);
}

/* The cached registers to spill before instruction k, emitted by opcode: the dirty ones it may
 * touch in struct cpu. */
void jit_regs_spill_for(struct jctx *j, unsigned k)
{
    spill_mask(j, jit_insn_touch(&j->tb->insn[k]));
}

/* Host code wrote guest register r in its (valid) host register itself. */
void jit_set_reg(struct jctx *j, unsigned r)
{
    j->dirty |= jit_reg_bit(r) & j->valid;
}

/* The host register holding guest register r now, or HNONE. */
unsigned jit_cached(const struct jctx *j, unsigned r)
{
    return (j->valid & jit_reg_bit(r)) ? j->host_of[r] : HNONE;
}

/* Host register h <- guest register r at size 4 or 8 (zero-extended). */
void jit_load_reg(struct jctx *j, unsigned h, unsigned r, unsigned size)
{
    if (j->valid & jit_reg_bit(r))
        e_mov_rr(&j->e, size == 8, h, j->host_of[r]);
    else if (size == 8)
        e_load64(&j->e, h, RBX, GPR(r));
    else
        e_load32(&j->e, h, RBX, GPR(r));
}

/* Guest register r <- all 64 bits of host register h: into its host register where valid (dirty
 * then), else into struct cpu. */
void jit_store_reg(struct jctx *j, unsigned h, unsigned r)
{
    if (j->valid & jit_reg_bit(r)) {
        e_mov_rr(&j->e, true, j->host_of[r], h);
        j->dirty |= jit_reg_bit(r);
    } else {
        e_store64(&j->e, h, RBX, GPR(r));
    }
}

/* Guest register r <- the low sz bytes of host register h (rax or rcx), as instruction i names it:
 * at 4 or 8 bytes all of h (a 32-bit host op has zero-extended it, as the guest's does); a byte or
 * word write keeps the bits above, in the register's host copy where valid (dirty then), else in
 * struct cpu; a write of AH..BH goes to struct cpu, the register spilled first if dirty, and
 * drops the host copy, to be reloaded when next named. */
void jit_store_reg_sz(struct jctx *j, const struct insn *i, unsigned h, unsigned r, unsigned sz)
{
    struct emit *e = &j->e;
    if (sz >= 4) {
        jit_store_reg(j, h, r);
        return;
    }
    unsigned op = sz == 1 ? 0x88 : 0x89;
    bool high = sz == 1 && jit_high8(i, r);
    unsigned c = high ? HNONE : jit_cached(j, r);
    if (c == HNONE) {
        if (high)
            spill_mask(j, jit_reg_bit(r - 4));
        if (sz == 2)
            e_byte(e, 0x66);
        e_op_mem(e, false, op, h, RBX, HNONE, 0, sz == 1 ? jit_reg8_off(i, r) : GPR(r));
        if (high)
            jit_clobber(j, r - 4);
        return;
    }
    if (sz == 2)
        e_byte(e, 0x66);
    e_rex(e, false, h, HNONE, c, true);                                /* REX: bpl, not ch */
    e_byte(e, op);
    e_byte(e, 0xc0 | (h << 3) | (c & 7));                              /* mov c8/c16, h8/h16 */
    j->dirty |= jit_reg_bit(r);
}

/* Host code wrote guest register r in struct cpu behind the cache's back. Its host copy was
 * clean (spilled before: struct cpu held all of it when the write changed part of it); one still
 * dirty here is an emitter's bug, and the block is not translated. */
void jit_clobber(struct jctx *j, unsigned r)
{
    if (j->dirty & jit_reg_bit(r))
        j->e.overflow = true;
    j->valid &= (uint16_t)~jit_reg_bit(r);
}

/* The same for 8-bit register r (without REX, 4-7 are AH, CH, DH, BH of registers 0-3). */
void jit_clobber8(struct jctx *j, const struct insn *i, unsigned r)
{
    jit_clobber(j, r >= 4 && r < 8 && !i->rex ? r - 4 : r);
}
