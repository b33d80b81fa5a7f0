/* The register cache's plan (jit-regs.c has the cache itself): which guest registers a block keeps
 * in host registers, which registers an instruction may name (loaded before it) or, emitted by
 * opcode, touch in struct cpu (spilled before it), and which count as dirty at a self-looping
 * block's self entry. Register numbers and implicit operands: SDM vol. 2, 2.1 and each opcode. */
#include "accel/soft/jit-int.h"

static const uint8_t cache_host[JIT_NCACHE] = { RBP, R14, R15, R13 };

/* ModRM.reg is an opcode extension (/digit), not a register, in these groups. */
static bool reg_is_digit(unsigned op)
{
    return (op >= 0x80 && op <= 0x83) || op == 0x8f || op == 0xc0 || op == 0xc1 || op == 0xc6 ||
           op == 0xc7 || (op >= 0xd0 && op <= 0xd3) || op == 0xf6 || op == 0xf7 || op == 0xfe ||
           op == 0xff || op == 0x100 || op == 0x101 || (op >= 0x118 && op <= 0x11f) ||
           (op >= 0x171 && op <= 0x173) || op == 0x1ae || op == 0x1ba || op == 0x1c7;
}

/* The guest registers instruction i may name (more is harmless: they are only loaded early). */
uint16_t jit_insn_regs(const struct insn *i)
{
    uint16_t m = jit_reg_bit(i->base) | jit_reg_bit(i->index);
    if (i->has_modrm) {
        if (!reg_is_digit(i->op))
            m |= jit_reg_bit(i->reg);
        if (i->mod == 3)
            m |= jit_reg_bit(i->rm);
    }
    unsigned op = i->op;
    if ((op >= 0x50 && op <= 0x5f) || (op >= 0xb8 && op <= 0xbf))
        m |= jit_reg_bit((op & 7) | ((i->rex & 1) << 3));
    if ((op >= 0x50 && op <= 0x5f) || op == 0xe8 || op == 0xc3 || op == 0xc2)
        m |= jit_reg_bit(R_RSP);
    if (op < 0x40 && ((op & 7) == 4 || (op & 7) == 5))
        m |= jit_reg_bit(R_RAX);
    if (op == 0x1b0 || op == 0x1b1)
        m |= jit_reg_bit(R_RAX);
    return m;
}

/* The registers host code for FORM_NONE instruction i (emitted by opcode) may read or write in
 * struct cpu directly: the ones it names (ModRM, SIB, the opcode's register) and, for the implicit
 * operands (string ops, cbw/cwd, shifts by CL, cmpxchg, xchg with rax ...), rax..rdi; none for a
 * compare or test of a byte in memory with an immediate (its address comes through the cache). */
uint16_t jit_insn_touch(const struct insn *i)
{
    unsigned op = i->op, sub = (i->modrm >> 3) & 7;
    if (i->mod != 3 && ((op == 0x80 && sub == 7) || (op == 0xf6 && sub == 0)) && !i->lock)
        return 0;
    uint16_t m = jit_insn_regs(i) | 0xff;
    if ((op >= 0x90 && op <= 0x97) || (op >= 0xb0 && op <= 0xb7) || (op >= 0x1c8 && op <= 0x1cf))
        m |= jit_reg_bit((op & 7) | ((i->rex & 1) << 3));
    return m;
}

/* At a self-looping block's self entry: the back edge comes there without a spill, so every
 * cached register the block may write (a form's named registers, an opcode-emitted instruction's
 * jit_insn_touch, none for jumps) counts as dirty; one it never writes in its host register is
 * clean there (a handler's write of it leaves it invalid, reloaded before the back edge). */
void jit_regs_self_entry(struct jctx *j)
{
    uint16_t w = 0;
    for (unsigned k = 0; k < j->tb->ninsn; k++) {
        const struct insn *i = &j->tb->insn[k];
        if (i->form == FORM_JCC || i->form == FORM_JMP)
            continue;
        w |= i->form != FORM_NONE ? jit_insn_regs(i) : jit_insn_touch(i);
    }
    j->dirty = j->cached & w;
}

/* Pick the block's cached registers: the most named ones, each named by two instructions or more
 * (one, in a block that loops on itself: the register lives across the iterations). */
void jit_regs_plan(struct jctx *j)
{
    unsigned count[16] = { 0 };
    for (unsigned k = 0; k < j->tb->ninsn; k++) {
        uint16_t m = jit_insn_regs(&j->tb->insn[k]);
        for (unsigned r = 0; r < 16; r++)
            count[r] += (m >> r) & 1;
    }
    memset(j->host_of, HNONE, sizeof(j->host_of));
    j->ncache = 0;
    j->cached = j->valid = j->dirty = 0;
    unsigned least = j->self_loop ? 1 : 2;
    while (j->ncache < JIT_NCACHE) {
        unsigned best = 16;
        for (unsigned r = 0; r < 16; r++)
            if (!(j->cached & jit_reg_bit(r)) && count[r] >= least &&
                (best == 16 || count[r] > count[best]))
                best = r;
        if (best == 16)
            break;
        j->host_of[best] = cache_host[j->ncache++];
        j->cached |= jit_reg_bit(best);
    }
}
