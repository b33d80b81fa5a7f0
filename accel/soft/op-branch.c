/* Control transfer: jcc, jmp, call, ret, loop, group 5 (FF), far transfers (through seg.c), and the
 * software interrupts int/int3/into/int1 and iret (through exec.c's delivery). */
#include "accel/soft/alu.h"
#include "accel/soft/debug.h"
#include "accel/soft/ops.h"

/* The new rip after a near branch, truncated to the operand size (SDM vol. 2, JMP). */
static void branch_to(struct cpu *c, const struct insn *i, uint64_t target)
{
    c->rip = target & size_mask(i->opsize);
}

OP(op_jcc)
{
    if (cpu_cond(c, i->op & 15))
        branch_to(c, i, c->rip + i->imm);
}

OP(op_jmp_rel)
{
    branch_to(c, i, c->rip + i->imm);
}

OP(op_call_rel)
{
    stack_push(c, i->opsize, c->rip);
    branch_to(c, i, c->rip + i->imm);
}

OP(op_ret)
{
    uint64_t sp = stack_pointer(c);
    uint64_t target = mem_read(c, SEG_SS, sp, i->opsize);
    sp += i->opsize + (i->op == 0xc2 ? (uint16_t)i->imm : 0);
    if (c->code_size == 8 && !cpu_canonical(c, target))
        cpu_raise_gp(c, 0);               /* before rsp moves (SDM vol. 2, RET) */
    reg_write(c, R_RSP, c->stack_size, sp);
    branch_to(c, i, target);
}

OP(op_retf)
{
    seg_far_ret(c, i->opsize, i->op == 0xca ? (uint16_t)i->imm : 0);
}

/* E0 loopne, E1 loope, E2 loop, E3 jcxz/jecxz/jrcxz: the counter is sized by the address size. */
OP(op_loop)
{
    unsigned as = i->addrsize;
    uint64_t cnt = reg_read(c, R_RCX, as);
    bool take;
    if (i->op == 0xe3) {
        take = cnt == 0;
    } else {
        cnt = (cnt - 1) & size_mask(as);
        reg_write(c, R_RCX, as, cnt);
        take = cnt != 0;
        if (i->op == 0xe0)
            take = take && !cpu_cond(c, 4);
        else if (i->op == 0xe1)
            take = take && cpu_cond(c, 4);
    }
    if (take)
        branch_to(c, i, c->rip + i->imm);
}

OP(op_jmp_far)
{
    seg_far_jump(c, i->imm2, i->imm, i->opsize, false);
}

OP(op_call_far)
{
    seg_far_jump(c, i->imm2, i->imm, i->opsize, true);
}

static uint64_t rmw_inc(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)arg; (void)op;
    return alu_incdec(c, size, old, false);
}

static uint64_t rmw_dec(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)arg; (void)op;
    return alu_incdec(c, size, old, true);
}

/* FF: /0 inc, /1 dec, /2 call near, /3 call far, /4 jmp near, /5 jmp far, /6 push. */
OP(op_grp5)
{
    unsigned sub = (i->modrm >> 3) & 7;
    unsigned size = i->opsize;
    /* Near branches and push default to 64-bit operands in 64-bit mode. */
    if (c->code_size == 8 && (sub == 2 || sub == 4))
        size = 8;
    else if (c->code_size == 8 && sub == 6 && !i->opsize_pfx)
        size = 8;
    switch (sub) {
    case 0: alu_rmw(c, i, size, rmw_inc, 0, 0); break;
    case 1: alu_rmw(c, i, size, rmw_dec, 0, 0); break;
    case 2: {
        uint64_t target = rm_read(c, i, size);
        stack_push(c, size, c->rip);
        c->rip = target & size_mask(size);
        break;
    }
    case 4:
        c->rip = rm_read(c, i, size) & size_mask(size);
        break;
    case 3: case 5: {
        if (i->mod == 3)
            cpu_raise_ud(c);
        uint64_t ea = insn_ea(c, i);
        unsigned osz = i->opsize;
        uint64_t off = mem_read(c, i->seg, ea, osz);
        uint16_t sel = (uint16_t)mem_read(c, i->seg, (ea + osz) & size_mask(i->addrsize), 2);
        seg_far_jump(c, sel, off, osz, sub == 3);
        break;
    }
    case 6:
        stack_push(c, size, rm_read(c, i, size));
        break;
    default:
        cpu_raise_ud(c);
    }
}

OP(op_int3)
{
    (void)i;
    if (c->hswbp) {                /* the host debugger's breakpoint: stop at the int3 itself */
        c->rip = c->insn_rip;
        db_host_stop(c, VCPU_DBG_SW_BP, 0);
        return;
    }
    cpu_deliver(c, EXC_BP, false, 0, true, c->rip);
}

OP(op_int)
{
    cpu_deliver(c, (int)(i->imm & 0xff), false, 0, true, c->rip);
}

OP(op_into)
{
    (void)i;
    if (cpu_cond(c, 0))
        cpu_deliver(c, EXC_OF, false, 0, true, c->rip);
}

OP(op_int1)
{
    (void)i;
    cpu_deliver(c, EXC_DB, false, 0, false, c->rip);
}

OP(op_iret)
{
    seg_iret(c, i->opsize);
}

OP(op_bound)
{
    if (i->mod == 3)
        cpu_raise_ud(c);
    unsigned s = i->opsize;
    uint64_t ea = insn_ea(c, i);
    int64_t lo = sext(mem_read(c, i->seg, ea, s), s);
    int64_t hi = sext(mem_read(c, i->seg, (ea + s) & size_mask(i->addrsize), s), s);
    int64_t v = sext(reg_read(c, i->reg, s), s);
    if (v < lo || v > hi)
        cpu_raise(c, EXC_BR, false, 0);
}
