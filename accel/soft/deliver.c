/* Interrupt and exception delivery (SDM vol. 3, chapter 6: 6.12 in protected and long mode,
 * 20.1.4 in real mode): the frame pushed through the IDT's gate, the stack switch through the TSS,
 * RF for fault-class exceptions. cpu_raise (exec.c) rewinds rip and longjmps to the loop, which
 * delivers through here; so do interrupts and int n. */
#include "accel/soft/cpu.h"
#include "accel/soft/seg.h"
#include "accel/soft/task.h"

/* Fault-class exceptions: their frame gets RF=1 (SDM vol. 3, 17.3.1.1), so that the restarted
 * instruction does not stop again at an instruction breakpoint already reported. #DB comes here as
 * a fault only for general detect (an instruction breakpoint goes through debug.c's deliver_db). */
static bool fault_class(int v)
{
    return v == EXC_DE || v == EXC_DB || v == EXC_BR || v == EXC_UD || v == EXC_NM || v == EXC_TS ||
           v == EXC_NP || v == EXC_SS || v == EXC_GP || v == EXC_PF || v == EXC_MF || v == EXC_AC ||
           v == EXC_XM;
}

static void push_lin(struct cpu *c, uint64_t base, uint64_t *sp, uint64_t mask, unsigned size,
                     uint64_t v, bool user)
{
    *sp = (*sp - size) & mask;
    lin_write(c, (base + *sp) & (mask == ~0ull ? ~0ull : 0xffffffffull), size, v, user);
}

static void deliver_real(struct cpu *c, int vector, uint64_t next_rip)
{
    if ((unsigned)vector * 4 + 3 > c->idt.limit)
        cpu_raise_gp(c, (uint32_t)vector * 8 + 2);
    uint64_t ent = lin_read(c, c->idt.base + (unsigned)vector * 4, 4, false);
    uint64_t sp = stack_pointer(c);
    uint64_t m = size_mask(c->stack_size), base = c->seg[SEG_SS].base;
    push_lin(c, base, &sp, m, 2, cpu_get_flags(c), false);
    push_lin(c, base, &sp, m, 2, c->seg[SEG_CS].sel, false);
    push_lin(c, base, &sp, m, 2, next_rip, false);
    reg_write(c, R_RSP, c->stack_size, sp);
    c->flags &= ~(uint64_t)(F_IF | F_TF | F_AC | F_RF);
    seg_load_real(c, SEG_CS, (uint16_t)(ent >> 16));
    c->rip = ent & 0xffff;
}

static uint64_t tss_read(struct cpu *c, unsigned off, unsigned size)
{
    const struct seg_cache *tr = &c->seg[SEG_TR];
    if (off + size - 1 > tr->limit)
        cpu_raise(c, EXC_TS, true, tr->sel & 0xfffc);
    return lin_read(c, tr->base + off, size, false);
}

void cpu_deliver(struct cpu *c, int vector, bool has_err, uint32_t err, bool soft, uint64_t next_rip)
{
    if (c->no_deliver) {
        /* The flat runner: report it, with rip where the guest would return (after int3/int n). */
        c->rip = next_rip;
        c->exc_vector = vector;
        c->exc_has_err = has_err;
        c->exc_err = err;
        longjmp(c->jmp, 2);
    }
    c->halted = false;
    c->tf_after = true;   /* the handler starts with TF clear: no single-step trap for this insn */
    if (!(c->cr0 & CR0_PE)) {
        deliver_real(c, vector, next_rip);
        c->tb_end = true;
        return;
    }
    bool lm = (c->efer & EFER_LMA) != 0;
    unsigned esz = lm ? 16 : 8;
    uint32_t gate_err = (uint32_t)vector * 8 + 2 + (soft ? 0 : 1);
    if ((unsigned)vector * esz + esz - 1 > c->idt.limit)
        cpu_raise_gp(c, gate_err);
    uint64_t g = lin_read(c, c->idt.base + (unsigned)vector * esz, 8, false);
    uint64_t g_hi = lm ? lin_read(c, c->idt.base + (unsigned)vector * esz + 8, 8, false) : 0;
    unsigned type = (g >> 40) & 0xf, gdpl = (g >> 45) & 3;
    bool trap = type & 1;
    bool gate32 = lm || (type & 8), task_gate = !lm && type == 5;
    if (!task_gate && (lm ? (type != 0xe && type != 0xf) : (type != 6 && type != 7 && type != 0xe && type != 0xf)))
        cpu_raise_gp(c, gate_err);
    if (soft && gdpl < c->cpl)
        cpu_raise_gp(c, gate_err);
    if (!((g >> 47) & 1))
        cpu_raise(c, EXC_NP, true, gate_err);
    if (task_gate) {
        task_gate_event(c, (const uint64_t[2]){ g, 0 }, has_err, err, next_rip);
        return;
    }
    uint16_t sel = (uint16_t)(g >> 16);
    uint64_t target = (g & 0xffff) | ((g >> 32) & 0xffff0000ull) | (lm ? (g_hi & 0xffffffffull) << 32 : 0);
    if (!gate32)
        target &= 0xffff;
    uint64_t d[2];
    uint32_t ext = soft ? 0 : 1;   /* EXT: the fault happened delivering an external event (6.13) */
    if (!(sel & ~3u))
        cpu_raise_gp(c, ext);
    if (!seg_read_desc(c, sel, d, false, 0))
        cpu_raise_gp(c, (sel & 0xfffc) | ext);
    unsigned ctype = (d[0] >> 40) & 0xf, cdpl = (d[0] >> 45) & 3;
    if (!((d[0] >> 44) & 1) || !(ctype & 8) || cdpl > c->cpl)
        cpu_raise_gp(c, (sel & 0xfffc) | ext);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, (sel & 0xfffc) | ext);
    if (lm && !((d[0] >> 53) & 1))
        cpu_raise_gp(c, (sel & 0xfffc) | ext);
    unsigned new_cpl = (ctype & 4) ? c->cpl : cdpl;
    uint64_t flags = cpu_get_flags(c);
    if (c->delivering == vector && fault_class(vector))   /* raised by cpu_raise: an exception */
        flags |= F_RF;
    uint64_t old_ss = c->seg[SEG_SS].sel, old_sp = c->gpr[R_RSP];
    uint16_t old_cs = c->seg[SEG_CS].sel;

    if (lm) {
        /* 64-bit IDT gate: optional IST, 16-byte aligned frame, always SS:RSP (SDM vol. 3, 6.14). */
        unsigned ist = (g >> 32) & 7;
        uint64_t sp;
        if (ist)
            sp = tss_read(c, 0x24 + (ist - 1) * 8, 8);
        else if (new_cpl != c->cpl)
            sp = tss_read(c, 4 + new_cpl * 8, 8);
        else
            sp = c->gpr[R_RSP];
        sp &= ~0xfull;
        bool user = new_cpl == 3;
        push_lin(c, 0, &sp, ~0ull, 8, old_ss, user);
        push_lin(c, 0, &sp, ~0ull, 8, old_sp, user);
        push_lin(c, 0, &sp, ~0ull, 8, flags, user);
        push_lin(c, 0, &sp, ~0ull, 8, old_cs, user);
        push_lin(c, 0, &sp, ~0ull, 8, next_rip, user);
        if (has_err)
            push_lin(c, 0, &sp, ~0ull, 8, err, user);
        if (new_cpl != c->cpl) {
            c->seg[SEG_SS].sel = (uint16_t)new_cpl;
            c->seg[SEG_SS].base = 0;
            c->seg[SEG_SS].limit = 0;
            c->seg[SEG_SS].attr = (uint16_t)(new_cpl << 5);
        }
        seg_from_desc(&c->seg[SEG_CS], (uint16_t)((sel & ~3u) | new_cpl), d);
        c->cpl = (uint8_t)new_cpl;
        cpu_update_mode(c);
        c->gpr[R_RSP] = sp;
    } else {
        unsigned psz = gate32 ? 4 : 2;
        uint64_t sp, m, base;
        if (new_cpl != c->cpl) {
            /* Inner stack from the TSS (SDM vol. 3, 7.2.1): 32- or 16-bit TSS layout. */
            bool tss32 = (c->seg[SEG_TR].attr & 0xf) >= 9;
            uint64_t nsp = tss32 ? tss_read(c, 4 + new_cpl * 8, 4) : tss_read(c, 2 + new_cpl * 4, 2);
            uint16_t nss = (uint16_t)(tss32 ? tss_read(c, 8 + new_cpl * 8, 2) : tss_read(c, 4 + new_cpl * 4, 2));
            uint64_t sd[2];
            if (!(nss & ~3u) || !seg_read_desc(c, nss, sd, false, 0))
                cpu_raise(c, EXC_TS, true, nss & 0xfffc);
            struct seg_cache ss;
            seg_from_desc(&ss, nss, sd);
            m = (ss.attr & SEG_A_DB) ? 0xffffffffull : 0xffffull;
            base = ss.base;
            sp = nsp & m;
            push_lin(c, base, &sp, m, psz, old_ss, false);
            push_lin(c, base, &sp, m, psz, old_sp, false);
            push_lin(c, base, &sp, m, psz, flags, false);
            push_lin(c, base, &sp, m, psz, old_cs, false);
            push_lin(c, base, &sp, m, psz, next_rip, false);
            if (has_err)
                push_lin(c, base, &sp, m, psz, err, false);
            c->seg[SEG_SS] = ss;
        } else {
            m = size_mask(c->stack_size);
            base = c->seg[SEG_SS].base;
            sp = c->gpr[R_RSP] & m;
            bool user = c->cpl == 3;
            push_lin(c, base, &sp, m, psz, flags, user);
            push_lin(c, base, &sp, m, psz, old_cs, user);
            push_lin(c, base, &sp, m, psz, next_rip, user);
            if (has_err)
                push_lin(c, base, &sp, m, psz, err, user);
        }
        seg_from_desc(&c->seg[SEG_CS], (uint16_t)((sel & ~3u) | new_cpl), d);
        c->cpl = (uint8_t)new_cpl;
        cpu_update_mode(c);
        reg_write(c, R_RSP, m == 0xffff ? 2 : 4, sp);
    }
    uint64_t clear = F_TF | F_NT | F_RF | F_VM | (trap ? 0 : F_IF);
    c->flags &= ~clear;
    c->rip = target;
    c->tb_end = true;
}
