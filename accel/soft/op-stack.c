/* The stack: push/pop of registers, immediates, segment registers and flags; pusha/popa; enter and
 * leave. rSP is only updated once the memory access has succeeded, so faults are precise. */
#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

uint64_t stack_pointer(struct cpu *c)
{
    return c->gpr[R_RSP] & size_mask(c->stack_size);
}

static void set_sp(struct cpu *c, uint64_t v)
{
    reg_write(c, R_RSP, c->stack_size, v);
}

void stack_push(struct cpu *c, unsigned size, uint64_t v)
{
    uint64_t sp = (c->gpr[R_RSP] - size) & size_mask(c->stack_size);
    mem_write(c, SEG_SS, sp, size, v);
    set_sp(c, sp);
}

uint64_t stack_pop(struct cpu *c, unsigned size)
{
    uint64_t sp = stack_pointer(c);
    uint64_t v = mem_read(c, SEG_SS, sp, size);
    set_sp(c, sp + size);
    return v;
}

OP(op_push_r)
{
    unsigned r = (i->op & 7) | ((i->rex & 1) << 3);
    stack_push(c, i->opsize, c->gpr[r]);
}

OP(op_pop_r)
{
    unsigned r = (i->op & 7) | ((i->rex & 1) << 3);
    uint64_t v = stack_pop(c, i->opsize);
    reg_write(c, r, i->opsize, v);
}

OP(op_push_imm)
{
    stack_push(c, i->opsize, i->imm);
}

static int sreg_of(unsigned op)
{
    switch (op) {
    case 0x06: case 0x07: return SEG_ES;
    case 0x0e: return SEG_CS;
    case 0x16: case 0x17: return SEG_SS;
    case 0x1e: case 0x1f: return SEG_DS;
    case 0x1a0: case 0x1a1: return SEG_FS;
    default: return SEG_GS;
    }
}

OP(op_push_sreg)
{
    stack_push(c, i->opsize, c->seg[sreg_of(i->op)].sel);
}

OP(op_pop_sreg)
{
    int s = sreg_of(i->op);
    uint64_t sp = stack_pointer(c);
    uint16_t sel = (uint16_t)mem_read(c, SEG_SS, sp, 2);
    seg_load(c, s, sel);                  /* may fault: rSP not yet changed */
    set_sp(c, sp + i->opsize);
    if (s == SEG_SS)
        c->irq_shadow = c->db_shadow = true;
}

OP(op_pusha)
{
    unsigned s = i->opsize;
    uint64_t sp = stack_pointer(c);
    uint64_t m = size_mask(c->stack_size);
    mem_probe_write(c, SEG_SS, (sp - 8 * s) & m, 8 * s);
    for (int r = R_RAX; r <= R_RDI; r++) {
        sp = (sp - s) & m;
        mem_write(c, SEG_SS, sp, s, r == R_RSP ? c->gpr[R_RSP] : c->gpr[r]);
    }
    set_sp(c, sp);
}

OP(op_popa)
{
    unsigned s = i->opsize;
    uint64_t sp = stack_pointer(c), m = size_mask(c->stack_size);
    uint64_t v[8];
    for (int r = R_RDI; r >= R_RAX; r--) {
        v[r] = mem_read(c, SEG_SS, sp, s);
        sp = (sp + s) & m;
    }
    for (int r = R_RAX; r <= R_RDI; r++)
        if (r != R_RSP)
            reg_write(c, r, s, v[r]);
    set_sp(c, sp);
}

OP(op_pushf)
{
    if ((c->flags & F_VM) && ((c->flags & F_IOPL) >> 12) < 3)
        cpu_raise_gp(c, 0);
    /* The image has VM and RF cleared (SDM vol. 2, PUSHF). */
    stack_push(c, i->opsize, cpu_get_flags(c) & ~(uint64_t)(F_VM | F_RF));
}

/* Write flags from popf/iret with the privilege rules (SDM vol. 2, POPF table 4-16). */
void flags_write_checked(struct cpu *c, uint64_t v, unsigned size)
{
    uint64_t f = cpu_get_flags(c);
    uint64_t can = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
    unsigned iopl = (f & F_IOPL) >> 12;
    if (!(c->cr0 & CR0_PE) || c->cpl == 0)
        can |= F_IOPL | F_IF;
    else if (c->cpl <= iopl)
        can |= F_IF;
    if (size == 2)
        can &= 0xffff;
    else if (size == 4)
        can &= 0xffffffff;
    uint64_t nf = (f & ~can) | (v & can);
    nf &= ~(uint64_t)F_RF;
    cpu_set_flags(c, nf);
}

OP(op_popf)
{
    if ((c->flags & F_VM) && ((c->flags & F_IOPL) >> 12) < 3)
        cpu_raise_gp(c, 0);
    uint64_t v = stack_pop(c, i->opsize);
    flags_write_checked(c, v, i->opsize);
}

OP(op_enter)
{
    unsigned s = i->opsize, level = i->imm2 & 31;
    uint64_t m = size_mask(c->stack_size);
    uint64_t sp = stack_pointer(c);
    uint64_t bp = c->gpr[R_RBP];
    sp = (sp - s) & m;
    mem_write(c, SEG_SS, sp, s, bp);
    uint64_t frame = sp;
    if (level > 0) {
        uint64_t bpa = bp & m;
        for (unsigned k = 1; k < level; k++) {
            bpa = (bpa - s) & m;
            uint64_t v = mem_read(c, SEG_SS, bpa, s);
            sp = (sp - s) & m;
            mem_write(c, SEG_SS, sp, s, v);
        }
        sp = (sp - s) & m;
        mem_write(c, SEG_SS, sp, s, frame);
    }
    uint64_t nsp = (sp - (uint16_t)i->imm) & m;
    if (i->imm)
        mem_probe_write(c, SEG_SS, nsp, 1);   /* the new top must be writable (#SS/#PF now) */
    reg_write(c, R_RBP, s, frame);
    set_sp(c, nsp);
}

OP(op_leave)
{
    uint64_t bp = c->gpr[R_RBP] & size_mask(c->stack_size);
    uint64_t v = mem_read(c, SEG_SS, bp, i->opsize);
    set_sp(c, bp + i->opsize);
    reg_write(c, R_RBP, i->opsize, v);
}

OP(op_pop_rm)
{
    if ((i->modrm >> 3) & 7)
        cpu_raise_ud(c);
    uint64_t sp = stack_pointer(c);
    uint64_t v = mem_read(c, SEG_SS, sp, i->opsize);
    /* An rSP-based destination sees rSP after the pop (SDM vol. 2, POP). */
    uint64_t old = c->gpr[R_RSP];
    set_sp(c, sp + i->opsize);
    if (i->mod == 3) {
        reg_write(c, i->rm, i->opsize, v);
        return;
    }
    uint64_t ea = insn_ea(c, i);
    c->gpr[R_RSP] = old;
    mem_write(c, i->seg, ea, i->opsize, v);
    set_sp(c, sp + i->opsize);
}
