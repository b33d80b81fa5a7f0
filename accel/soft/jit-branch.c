/* The translator's indirect near branches and push of a memory operand (group 5: FF /2 call, /4 jmp,
 * /6 push; SDM vol. 2, CALL, JMP, PUSH): what op-branch.c's op_grp5 does, in host code. The target
 * comes from a register or through the soft TLB (jit-mem.c); call pushes the next rip through the
 * TLB too. Near branches take 64-bit operands in 64-bit mode whatever the prefixes (as the handler
 * has it); the block ends with the target in cpu->rip, where a non-canonical one is #GP(0) at the
 * branch (tb_find), and the chain code looks it up as it does a ret's. */
#include "accel/soft/jit-int.h"

/* Every slow-path stub of instruction k made since stub `first` resumes after it. */
static void stubs_done(struct jctx *j, unsigned first)
{
    for (unsigned s = first; s < j->nstubs; s++) {
        j->stubs[s].resume = j->e.p;
        j->stubs[s].valid = j->valid;
    }
}

/* h <- the 64-bit operand of FF /2 /4 /6: a register, or memory through the TLB. */
static void load_operand(struct jctx *j, const struct insn *i, unsigned h)
{
    if (i->mod == 3) {
        jit_load_reg(j, h, i->rm, 8);
        return;
    }
    jit_emit_mem_operand(j, j->k, i, 8, false);
    e_load64(&j->e, h, RDX, 0);
}

/* call/jmp near through r/m64: r8 <- the target, for call the next rip pushed, rip <- r8. */
static bool emit_branch(struct jctx *j, const struct insn *i, bool call)
{
    struct emit *e = &j->e;
    unsigned first = j->nstubs;
    load_operand(j, i, R8);
    if (call) {
        e_lea(e, RCX, R12, (int32_t)j->off[j->k + 1]);
        jit_emit_push_rcx(j, j->k);
    }
    jit_emit_insn_rip(j, j->k);
    e_store64(e, R8, RBX, OFF(rip));
    j->rip_set = true;
    stubs_done(j, first);
    return true;
}

/* push r/m64 (no 66 prefix): the operand read at the rsp before the push. */
static bool emit_push_mem(struct jctx *j, const struct insn *i)
{
    unsigned first = j->nstubs;
    load_operand(j, i, RCX);
    jit_emit_push_rcx(j, j->k);
    stubs_done(j, first);
    return true;
}

bool jit_branch_op(struct jctx *j, const struct insn *i)
{
    if (i->op != 0xff || i->lock || (i->mod != 3 && !jit_addr_ok(j, j->k, i)))
        return false;
    switch ((i->modrm >> 3) & 7) {
    case 2:
        return emit_branch(j, i, true);
    case 4:
        return emit_branch(j, i, false);
    case 6:
        return i->mod != 3 && !i->opsize_pfx && emit_push_mem(j, i);
    default:
        return false;
    }
}
