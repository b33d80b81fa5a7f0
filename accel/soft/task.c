/* Hardware task switching in legacy protected mode (SDM vol. 3, chapter 7): a far jmp or call to a
 * TSS descriptor or a task gate, an interrupt or exception through a task gate in the IDT, and an
 * iret with EFLAGS.NT set (a return to the task in the back link). The current state is saved in
 * the current TSS, the busy bits and the back link record the nesting, and the new task's state
 * comes from its TSS (32-bit, figure 7-2, or 16-bit, figure 7-11). Not modelled: the TSS T bit
 * (a #DB on entry). */
#include "accel/soft/debug.h"
#include "accel/soft/seg.h"
#include "accel/soft/task.h"

/* Offsets in a 32-bit and a 16-bit TSS. */
enum { T32_CR3 = 0x1c, T32_EIP = 0x20, T32_EFLAGS = 0x24, T32_GPR = 0x28, T32_SEG = 0x48, T32_LDT = 0x60,
       T16_IP = 0x0e, T16_FLAGS = 0x10, T16_GPR = 0x12, T16_SEG = 0x22, T16_LDT = 0x2a };

struct task_state {
    uint32_t cr3, eip, eflags, gpr[8];
    uint16_t seg[6], ldt;      /* ES CS SS DS FS GS, as SEG_* numbers them */
};

static void set_busy(struct cpu *c, uint16_t sel, bool busy)
{
    uint64_t at = c->gdt.base + (sel & ~7u) + 5;
    uint8_t type = (uint8_t)lin_read(c, at, 1, false);
    lin_write(c, at, 1, busy ? type | 2u : type & ~2u, false);
}

static void tss_read_state(struct cpu *c, uint64_t base, bool t32, struct task_state *s)
{
    memset(s, 0, sizeof(*s));
    if (t32) {
        s->cr3 = (uint32_t)lin_read(c, base + T32_CR3, 4, false);
        s->eip = (uint32_t)lin_read(c, base + T32_EIP, 4, false);
        s->eflags = (uint32_t)lin_read(c, base + T32_EFLAGS, 4, false);
        for (unsigned k = 0; k < 8; k++)
            s->gpr[k] = (uint32_t)lin_read(c, base + T32_GPR + 4 * k, 4, false);
        for (unsigned k = 0; k < 6; k++)
            s->seg[k] = (uint16_t)lin_read(c, base + T32_SEG + 4 * k, 2, false);
        s->ldt = (uint16_t)lin_read(c, base + T32_LDT, 2, false);
    } else {
        s->eip = (uint16_t)lin_read(c, base + T16_IP, 2, false);
        s->eflags = (uint16_t)lin_read(c, base + T16_FLAGS, 2, false);
        for (unsigned k = 0; k < 8; k++)
            s->gpr[k] = (uint16_t)lin_read(c, base + T16_GPR + 2 * k, 2, false);
        for (unsigned k = 0; k < 4; k++)
            s->seg[k] = (uint16_t)lin_read(c, base + T16_SEG + 2 * k, 2, false);
        s->ldt = (uint16_t)lin_read(c, base + T16_LDT, 2, false);
    }
}

/* The dynamic fields of the outgoing task (SDM vol. 3, 7.2.1): EIP, EFLAGS, GPRs, selectors. */
static void tss_save_state(struct cpu *c, uint64_t base, bool t32, uint32_t eip, uint32_t eflags)
{
    unsigned w = t32 ? 4 : 2;
    lin_write(c, base + (t32 ? T32_EIP : T16_IP), w, eip, false);
    lin_write(c, base + (t32 ? T32_EFLAGS : T16_FLAGS), w, eflags, false);
    for (unsigned k = 0; k < 8; k++)
        lin_write(c, base + (t32 ? T32_GPR : T16_GPR) + w * k, w, c->gpr[k], false);
    for (unsigned k = 0; k < (t32 ? 6u : 4u); k++)
        lin_write(c, base + (t32 ? T32_SEG : T16_SEG) + w * k, 2, c->seg[k].sel, false);
}

/* A segment register of the new task, with the checks of SDM vol. 3, table 7-1 (faults are #TS
 * with the selector, #NP / #SS for a not-present one, in the new task's context). */
static void task_load_seg(struct cpu *c, int seg, uint16_t sel)
{
    uint32_t err = sel & 0xfffc;
    struct seg_cache *s = &c->seg[seg];
    if (!(sel & ~3u)) {
        if (seg == SEG_CS || seg == SEG_SS)
            cpu_raise(c, EXC_TS, true, 0);
        *s = (struct seg_cache){ .sel = sel };
        return;
    }
    uint64_t d[2];
    if (!seg_read_desc(c, sel, d, false, 0))
        cpu_raise(c, EXC_TS, true, err);
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3, rpl = sel & 3;
    bool code = type & 8, sys = !((d[0] >> 44) & 1);
    bool bad;
    if (seg == SEG_CS)
        bad = sys || !code || ((type & 4) ? dpl > rpl : dpl != rpl);
    else if (seg == SEG_SS)
        bad = sys || code || !(type & 2) || rpl != c->cpl || dpl != c->cpl;
    else
        bad = sys || (code && !(type & 2)) || (!(code && (type & 4)) && (dpl < c->cpl || dpl < rpl));
    if (bad)
        cpu_raise(c, EXC_TS, true, err);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, seg == SEG_SS ? EXC_SS : EXC_NP, true, err);
    seg_desc_set_accessed(c, sel, &d[0]);
    seg_from_desc(s, sel, d);
}

void task_switch(struct cpu *c, uint16_t sel, const uint64_t desc[2], enum task_reason why, bool has_err,
                 uint32_t err, uint64_t next_eip)
{
    uint32_t terr = sel & 0xfffc;
    unsigned type = (desc[0] >> 40) & 0xf;
    bool new32 = type & 8, busy = type & 2;
    struct seg_cache nt;
    seg_from_desc(&nt, sel, desc);
    nt.base &= 0xffffffffull;
    /* The new TSS (7.3 steps 2-4): present, big enough, busy only for a return to it. */
    if (!((desc[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, terr);
    if (nt.limit < (new32 ? 0x67u : 0x2bu))
        cpu_raise(c, EXC_TS, true, terr);
    if (why == TASK_IRET ? !busy : busy)
        cpu_raise(c, why == TASK_IRET ? EXC_TS : EXC_GP, true, terr);
    const struct seg_cache old = c->seg[SEG_TR];
    bool old32 = (old.attr & 0xf) >= 9;
    if (old.limit < (old32 ? 0x67u : 0x2bu))
        cpu_raise(c, EXC_TS, true, old.sel & 0xfffc);

    /* Read the new task and write the old one before anything changes (page faults stay in the
     * old task's context). An iret saves EFLAGS with NT clear (7.4). */
    struct task_state ns;
    tss_read_state(c, nt.base, new32, &ns);
    uint64_t fl = cpu_get_flags(c);
    if (why == TASK_IRET)
        fl &= ~(uint64_t)F_NT;
    tss_save_state(c, old.base, old32, (uint32_t)next_eip, (uint32_t)fl);
    if (why == TASK_JMP || why == TASK_IRET)
        set_busy(c, old.sel, false);
    if (why != TASK_IRET)
        set_busy(c, sel, true);
    if (why == TASK_CALL || why == TASK_INT) {
        /* Nesting: the back link names the old task, NT tells iret to return to it. */
        lin_write(c, nt.base, 2, old.sel, false);
        ns.eflags |= F_NT;
    }

    /* Commit: from here on a fault belongs to the new task (7.3 step 13). */
    c->seg[SEG_TR] = nt;
    c->seg[SEG_TR].attr |= 2;
    c->cr0 |= CR0_TS;
    if (new32 && (c->cr0 & CR0_PG))
        cpu_set_cr3(c, ns.cr3);
    c->rip = ns.eip;
    c->insn_rip = ns.eip;
    uint64_t keep = new32 ? 0 : cpu_get_flags(c) & ~0xffffull;
    cpu_set_flags(c, keep | ns.eflags | 2);
    for (unsigned k = 0; k < 8; k++) {
        if (new32)
            c->gpr[k] = ns.gpr[k];
        else
            reg_write(c, k, 2, ns.gpr[k]);
    }
    /* Selectors first with unusable caches, so that nothing of the old task is left whatever
     * check below faults; the LDT before the segments it may hold. */
    for (int k = 0; k < 6; k++)
        c->seg[k] = (struct seg_cache){ .sel = ns.seg[k] };
    c->cpl = (c->flags & F_VM) ? 3 : ns.seg[SEG_CS] & 3;
    if (!(ns.ldt & ~3u)) {
        c->seg[SEG_LDTR] = (struct seg_cache){ .sel = ns.ldt };
    } else {
        uint64_t d[2];
        if ((ns.ldt & 4) || !seg_read_desc(c, ns.ldt, d, false, 0) || ((d[0] >> 44) & 1) ||
            ((d[0] >> 40) & 0xf) != 2)
            cpu_raise(c, EXC_TS, true, ns.ldt & 0xfffc);
        if (!((d[0] >> 47) & 1))
            cpu_raise(c, EXC_TS, true, ns.ldt & 0xfffc);
        seg_from_desc(&c->seg[SEG_LDTR], ns.ldt, d);
    }
    if (c->flags & F_VM) {
        /* A virtual-8086 task: its segments are loaded as in real mode (7.3 step 12). */
        for (int k = SEG_ES; k <= SEG_GS; k++)
            seg_load_real(c, k, ns.seg[k]);
    } else {
        task_load_seg(c, SEG_CS, ns.seg[SEG_CS]);
        task_load_seg(c, SEG_SS, ns.seg[SEG_SS]);
        cpu_update_mode(c);
        for (int k = SEG_ES; k <= SEG_GS; k++)
            if (k != SEG_CS && k != SEG_SS)
                task_load_seg(c, k, ns.seg[k]);
    }
    /* The local breakpoint enables belong to the old task (SDM vol. 3, 17.2.4). */
    if (c->dr[7] & 0x155) {
        c->dr[7] &= ~0x155ull;
        db_update(c);
    }
    if (why == TASK_INT && has_err)
        stack_push(c, new32 ? 4 : 2, err);
    c->tb_end = true;
}

/* The TSS a task gate names (SDM vol. 3, 7.2.5): in the GDT, an available TSS. */
static void gate_tss(struct cpu *c, uint16_t tss_sel, uint64_t d[2])
{
    uint32_t err = tss_sel & 0xfffc;
    if ((tss_sel & 4) || !seg_read_desc(c, tss_sel, d, false, 0))
        cpu_raise_gp(c, err);
    seg_check_avail_tss(c, d, err);
}

void task_far(struct cpu *c, uint16_t sel, const uint64_t d[2], bool call)
{
    uint32_t err = sel & 0xfffc;
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3;
    if (dpl < c->cpl || dpl < (sel & 3u) || (type != 5 && (sel & 4)))
        cpu_raise_gp(c, err);      /* a TSS descriptor lives in the GDT; a task gate may not */
    uint64_t td[2] = { d[0], d[1] };
    uint16_t tss = sel;
    if (type == 5) {
        if (!((d[0] >> 47) & 1))
            cpu_raise(c, EXC_NP, true, err);
        tss = (uint16_t)(d[0] >> 16);
        gate_tss(c, tss, td);
    } else if (type == 3 || type == 0xb) {
        cpu_raise_gp(c, err);    /* a busy TSS: no recursion */
    }
    task_switch(c, tss, td, call ? TASK_CALL : TASK_JMP, false, 0, c->rip);
}

void task_gate_event(struct cpu *c, const uint64_t gate[2], bool has_err, uint32_t err, uint64_t next_eip)
{
    uint64_t d[2];
    uint16_t tss = (uint16_t)(gate[0] >> 16);
    gate_tss(c, tss, d);
    task_switch(c, tss, d, TASK_INT, has_err, err, next_eip);
}

void task_return(struct cpu *c)
{
    uint16_t link = (uint16_t)lin_read(c, c->seg[SEG_TR].base, 2, false);
    uint32_t err = link & 0xfffc;
    uint64_t d[2];
    if ((link & 4) || !seg_read_desc(c, link, d, false, 0))
        cpu_raise(c, EXC_TS, true, err);
    unsigned type = (d[0] >> 40) & 0xf;
    if (((d[0] >> 44) & 1) || (type != 3 && type != 0xb))
        cpu_raise(c, EXC_TS, true, err);
    task_switch(c, link, d, TASK_IRET, false, 0, c->rip);
}
