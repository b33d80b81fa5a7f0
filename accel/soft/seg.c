/* Segmentation (SDM vol. 3, chapters 3 and 5): descriptor loads with their privilege checks, far
 * jumps/calls/returns, iret, and the task and LDT registers. Call gates are in seg-gate.c, task
 * switches (TSS and task-gate targets, iret with NT) in task.c. */
#include "accel/soft/debug.h"
#include "accel/soft/seg.h"
#include "accel/soft/task.h"

void cpu_update_mode(struct cpu *c)
{
    const struct seg_cache *cs = &c->seg[SEG_CS];
    if ((c->efer & EFER_LMA) && (cs->attr & SEG_A_L))
        c->code_size = 8;
    else
        c->code_size = (cs->attr & SEG_A_DB) ? 4 : 2;
    if (c->code_size == 8)
        c->stack_size = 8;
    else
        c->stack_size = (c->seg[SEG_SS].attr & SEG_A_DB) ? 4 : 2;
    if (!(c->cr0 & CR0_PE))
        c->cpl = 0;
    else if (c->flags & F_VM)
        c->cpl = 3;
    /* Chains map a rip to a block: stale when the CS base or the decode mode changes. A CPL change
     * alone (syscall, interrupts) is checked per chain instead, so it costs nothing here. */
    if (cs->base != c->chain_cs_base || c->code_size != c->chain_code_size) {
        c->chain_cs_base = cs->base;
        c->chain_code_size = c->code_size;
        c->chain_epoch++;
    }
}

void seg_load_real(struct cpu *c, int seg, uint16_t sel)
{
    struct seg_cache *s = &c->seg[seg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    /* Real mode keeps the cached limit and attributes ("unreal mode" relies on it), but the
     * segment must be usable. */
    s->attr |= SEG_A_P | SEG_A_S;
    if (seg == SEG_CS) {
        s->attr = (uint16_t)((s->attr & ~(SEG_A_L | SEG_A_DB)) | 0xb);
        cpu_update_mode(c);
    }
    if (c->flags & F_VM) {
        s->limit = 0xffff;
        s->attr = (uint16_t)(SEG_A_P | SEG_A_S | (3 << 5) | (seg == SEG_CS ? 0xb : 0x3));
    }
    if (seg == SEG_SS)
        cpu_update_mode(c);
}

uint64_t seg_desc_get_base(const uint64_t desc[2])
{
    uint64_t d = desc[0];
    return ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
}

void seg_from_desc(struct seg_cache *s, uint16_t sel, const uint64_t desc[2])
{
    uint64_t d = desc[0];
    uint32_t limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));
    s->sel = sel;
    s->base = seg_desc_get_base(desc);
    s->attr = (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8));
    if (s->attr & SEG_A_G)
        limit = (limit << 12) | 0xfff;
    s->limit = limit;
    /* System descriptors (TSS, LDT) are 16 bytes in long mode: the base's upper half follows. */
    if (!(s->attr & SEG_A_S))
        s->base |= (desc[1] & 0xffffffffull) << 32;
}

/* Read the descriptor named by sel from the GDT or LDT; false when outside the table's limit.
 * wide: read 16 bytes (system descriptors in long mode). */
bool seg_read_desc(struct cpu *c, uint16_t sel, uint64_t desc[2], bool wide, uint32_t unused)
{
    (void)unused;
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        if (c->seg[SEG_LDTR].attr == 0 || !(c->seg[SEG_LDTR].attr & SEG_A_P))
            return false;
        base = c->seg[SEG_LDTR].base;
        limit = c->seg[SEG_LDTR].limit;
    } else {
        base = c->gdt.base;
        limit = c->gdt.limit;
    }
    uint32_t idx = sel & ~7u;
    if (idx + (wide ? 15u : 7u) > limit)
        return false;
    desc[0] = lin_read(c, base + idx, 8, false);
    desc[1] = wide ? lin_read(c, base + idx + 8, 8, false) : 0;
    return true;
}

void seg_desc_set_accessed(struct cpu *c, uint16_t sel, uint64_t *desc)
{
    if (*desc & (1ull << 40))
        return;
    *desc |= 1ull << 40;
    uint64_t base = (sel & 4) ? c->seg[SEG_LDTR].base : c->gdt.base;
    lin_write(c, base + (sel & ~7u) + 5, 1, (*desc >> 40) & 0xff, false);
}

static void seg_set_null(struct cpu *c, int seg, uint16_t sel)
{
    struct seg_cache *s = &c->seg[seg];
    s->sel = sel;
    s->base = 0;
    s->limit = 0;
    s->attr = 0;            /* unusable */
}

void seg_load(struct cpu *c, int seg, uint16_t sel)
{
    if (!(c->cr0 & CR0_PE) || (c->flags & F_VM)) {
        seg_load_real(c, seg, sel);
        return;
    }
    uint32_t err = sel & 0xfffc;
    if (!(sel & ~3u)) {
        if (seg == SEG_SS && !(c->code_size == 8 && c->cpl < 3 && (sel & 3) == c->cpl))
            cpu_raise_gp(c, 0);
        seg_set_null(c, seg, sel);
        if (seg == SEG_SS)
            cpu_update_mode(c);
        return;
    }
    uint64_t d[2];
    if (!seg_read_desc(c, sel, d, false, 0))
        cpu_raise_gp(c, err);
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3, rpl = sel & 3;
    bool s = (d[0] >> 44) & 1, present = (d[0] >> 47) & 1;
    bool code = type & 8;
    if (seg == SEG_SS) {
        if (!s || code || !(type & 2) || rpl != c->cpl || dpl != c->cpl)
            cpu_raise_gp(c, err);
        if (!present)
            cpu_raise(c, EXC_SS, true, err);
    } else {
        if (!s || (code && !(type & 2)))
            cpu_raise_gp(c, err);
        bool conforming = code && (type & 4);
        if (!conforming && (dpl < c->cpl || dpl < rpl))
            cpu_raise_gp(c, err);
        if (!present)
            cpu_raise(c, EXC_NP, true, err);
    }
    seg_desc_set_accessed(c, sel, &d[0]);
    seg_from_desc(&c->seg[seg], sel, d);
    if (seg == SEG_SS)
        cpu_update_mode(c);
}

/* Load CS for a transfer to a code segment at privilege cpl. */
void seg_load_cs(struct cpu *c, uint16_t sel, uint64_t *d, unsigned cpl)
{
    seg_desc_set_accessed(c, sel, d);
    seg_from_desc(&c->seg[SEG_CS], (uint16_t)((sel & ~3u) | cpl), d);
    c->cpl = (uint8_t)cpl;
    cpu_update_mode(c);
}

/* Check the code-segment descriptor d (read from sel) for a direct far jmp/call. */
static void check_code_desc(struct cpu *c, uint16_t sel, uint64_t d[2])
{
    uint32_t err = sel & 0xfffc;
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3, rpl = sel & 3;
    if (!(type & 8))
        cpu_raise_gp(c, err);
    if (type & 4) {
        if (dpl > c->cpl)
            cpu_raise_gp(c, err);
    } else if (rpl > c->cpl || dpl != c->cpl) {
        cpu_raise_gp(c, err);
    }
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, err);
    if ((c->efer & EFER_LMA) && ((d[0] >> 53) & 1) && ((d[0] >> 54) & 1))
        cpu_raise_gp(c, err);   /* L and D both set */
}

void seg_far_jump(struct cpu *c, uint16_t sel, uint64_t off, unsigned opsize, bool call)
{
    if (!(c->cr0 & CR0_PE) || (c->flags & F_VM)) {
        if (call) {
            stack_push(c, opsize, c->seg[SEG_CS].sel);
            stack_push(c, opsize, c->rip);
        }
        seg_load_real(c, SEG_CS, sel);
        c->rip = off & size_mask(opsize);
        return;
    }
    uint64_t d[2];
    if (!(sel & ~3u))
        cpu_raise_gp(c, 0);
    if (!seg_read_desc(c, sel, d, false, 0))
        cpu_raise_gp(c, sel & 0xfffc);
    if (!((d[0] >> 44) & 1)) {
        /* A system descriptor: a call gate, or (legacy mode) a task gate or TSS. */
        unsigned type = (d[0] >> 40) & 0xf;
        bool legacy = !(c->efer & EFER_LMA);
        if (type == 0xc || (type == 4 && legacy))
            seg_call_gate(c, sel, d, call);
        else if (legacy && (type == 5 || (type & 7) == 1 || (type & 7) == 3))
            task_far(c, sel, d, call);
        else
            cpu_raise_gp(c, sel & 0xfffc);
        return;
    }
    check_code_desc(c, sel, d);
    if (call) {
        /* Push on the current stack before CS changes; faults leave everything as it was. */
        uint64_t sp = stack_pointer(c), m = size_mask(c->stack_size);
        mem_write(c, SEG_SS, (sp - opsize) & m, opsize, c->seg[SEG_CS].sel);
        mem_write(c, SEG_SS, (sp - 2 * opsize) & m, opsize, c->rip);
        reg_write(c, R_RSP, c->stack_size, (sp - 2 * opsize) & m);
    }
    seg_load_cs(c, sel, d, c->cpl);
    c->rip = off & (c->code_size == 8 ? ~0ull : size_mask(opsize));
    c->tb_end = true;
}

/* After a return to an outer privilege level, data segments the new level may not use are
 * nulled (SDM vol. 2, RET and IRET: "FOR each of segment register ES, FS, GS, and DS"). */
static void null_inaccessible(struct cpu *c)
{
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned k = 0; k < 4; k++) {
        struct seg_cache *s = &c->seg[segs[k]];
        bool conforming_code = (s->attr & 8) && (s->attr & 4);
        if (s->attr && !conforming_code && SEG_A_DPL(s->attr) < c->cpl) {
            s->sel = 0;
            s->attr = 0;
            if (c->code_size != 8 || (segs[k] != SEG_FS && segs[k] != SEG_GS))
                s->base = 0;
        }
    }
}

/* Load SS:rSP popped by an inter-privilege ret/iret. */
static void load_outer_stack(struct cpu *c, uint16_t ss, uint64_t rsp, unsigned cpl, bool to64)
{
    if (!(ss & ~3u)) {
        /* A null SS is allowed when returning to 64-bit code at CPL < 3. */
        if (!to64 || cpl == 3)
            cpu_raise_gp(c, 0);
        seg_set_null(c, SEG_SS, ss);
        c->seg[SEG_SS].attr = (uint16_t)(cpl << 5);
    } else {
        uint64_t d[2];
        uint32_t err = ss & 0xfffc;
        if (!seg_read_desc(c, ss, d, false, 0))
            cpu_raise_gp(c, err);
        unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3;
        if ((ss & 3) != cpl || dpl != cpl || !((d[0] >> 44) & 1) || (type & 8) || !(type & 2))
            cpu_raise_gp(c, err);
        if (!((d[0] >> 47) & 1))
            cpu_raise(c, EXC_SS, true, err);
        seg_desc_set_accessed(c, ss, &d[0]);
        seg_from_desc(&c->seg[SEG_SS], ss, d);
    }
    cpu_update_mode(c);
    if (c->stack_size == 8)
        c->gpr[R_RSP] = rsp;
    else
        reg_write(c, R_RSP, c->stack_size, rsp);
}

/* Check the CS of a far return / iret; returns the new CPL. */
static unsigned check_return_cs(struct cpu *c, uint16_t sel, uint64_t d[2])
{
    uint32_t err = sel & 0xfffc;
    if (!(sel & ~3u))
        cpu_raise_gp(c, 0);
    if (!seg_read_desc(c, sel, d, false, 0))
        cpu_raise_gp(c, err);
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3, rpl = sel & 3;
    if (!((d[0] >> 44) & 1) || !(type & 8) || rpl < c->cpl)
        cpu_raise_gp(c, err);
    if ((type & 4) ? dpl > rpl : dpl != rpl)
        cpu_raise_gp(c, err);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, err);
    return rpl;
}

void seg_far_ret(struct cpu *c, unsigned opsize, uint16_t pop_bytes)
{
    uint64_t sp = stack_pointer(c), m = size_mask(c->stack_size);
    uint64_t off = mem_read(c, SEG_SS, sp, opsize);
    uint16_t sel = (uint16_t)mem_read(c, SEG_SS, (sp + opsize) & m, 2);
    if (!(c->cr0 & CR0_PE) || (c->flags & F_VM)) {
        seg_load_real(c, SEG_CS, sel);
        c->rip = off & size_mask(opsize);
        reg_write(c, R_RSP, c->stack_size, (sp + 2 * opsize + pop_bytes) & m);
        return;
    }
    uint64_t d[2];
    unsigned cpl = check_return_cs(c, sel, d);
    if (cpl == c->cpl) {
        seg_load_cs(c, sel, d, cpl);
        c->rip = c->code_size == 8 ? off : off & size_mask(opsize);
        reg_write(c, R_RSP, c->stack_size, (sp + 2 * opsize + pop_bytes) & m);
        c->tb_end = true;
        return;
    }
    uint64_t nsp = (sp + 2 * opsize + pop_bytes) & m;
    uint64_t rsp = mem_read(c, SEG_SS, nsp, opsize);
    uint16_t ss = (uint16_t)mem_read(c, SEG_SS, (nsp + opsize) & m, 2);
    bool to64 = (c->efer & EFER_LMA) && ((d[0] >> 53) & 1);
    seg_load_cs(c, sel, d, cpl);
    c->rip = c->code_size == 8 ? off : off & size_mask(opsize);
    load_outer_stack(c, ss, rsp + pop_bytes, cpl, to64);
    null_inaccessible(c);
    c->tb_end = true;
}

void seg_iret(struct cpu *c, unsigned opsize)
{
    /* Any iret ends NMI blocking, even one that faults later (SDM vol. 3, 6.7.1). */
    c->nmi_blocked = false;
    uint64_t sp = stack_pointer(c), m = size_mask(c->stack_size);
    if (!(c->cr0 & CR0_PE)) {
        uint64_t ip = mem_read(c, SEG_SS, sp, opsize);
        uint16_t cs = (uint16_t)mem_read(c, SEG_SS, (sp + opsize) & m, 2);
        uint64_t fl = mem_read(c, SEG_SS, (sp + 2 * opsize) & m, opsize);
        seg_load_real(c, SEG_CS, cs);
        c->rip = ip & size_mask(opsize);
        reg_write(c, R_RSP, c->stack_size, (sp + 3 * opsize) & m);
        flags_write_checked(c, fl, opsize);
        return;
    }
    if (c->flags & F_VM) {
        if (((c->flags & F_IOPL) >> 12) < 3)
            cpu_raise_gp(c, 0);
        uint64_t ip = mem_read(c, SEG_SS, sp, opsize);
        uint16_t cs = (uint16_t)mem_read(c, SEG_SS, (sp + opsize) & m, 2);
        uint64_t fl = mem_read(c, SEG_SS, (sp + 2 * opsize) & m, opsize);
        seg_load_real(c, SEG_CS, cs);
        c->rip = ip & size_mask(opsize);
        reg_write(c, R_RSP, c->stack_size, (sp + 3 * opsize) & m);
        uint64_t keep = F_IOPL | F_VM;
        cpu_set_flags(c, (cpu_get_flags(c) & keep) | (fl & ~keep & size_mask(opsize)));
        return;
    }
    if (c->flags & F_NT) {
        if (c->efer & EFER_LMA)
            cpu_raise_gp(c, 0);
        task_return(c);         /* to the task in the back link (SDM vol. 2, IRET, TASK-RETURN) */
        return;
    }
    uint64_t ip = mem_read(c, SEG_SS, sp, opsize);
    uint16_t cs = (uint16_t)mem_read(c, SEG_SS, (sp + opsize) & m, 2);
    uint64_t fl = mem_read(c, SEG_SS, (sp + 2 * opsize) & m, opsize);
    if ((fl & F_VM) && c->cpl == 0 && !(c->efer & EFER_LMA) && opsize == 4)
        cpu_raise_gp(c, 0);     /* return to virtual-8086 mode: not supported */
    uint64_t d[2];
    unsigned cpl = check_return_cs(c, cs, d);
    bool from64 = c->code_size == 8;
    bool to64 = (c->efer & EFER_LMA) && ((d[0] >> 53) & 1);
    if (to64 && !cpu_canonical(c, ip))
        cpu_raise_gp(c, 0);   /* before anything is popped (SDM vol. 2, IRET) */
    if (cpl != c->cpl || from64) {
        /* 64-bit iret always pops SS:rSP (SDM vol. 2, IRET, IA-32e mode). */
        uint64_t rsp = mem_read(c, SEG_SS, (sp + 3 * opsize) & m, opsize);
        uint16_t ss = (uint16_t)mem_read(c, SEG_SS, (sp + 4 * opsize) & m, 2);
        unsigned old_cpl = c->cpl;
        /* Flags with the privilege rules of the level we are leaving. */
        flags_write_checked(c, fl, opsize);
        seg_load_cs(c, cs, d, cpl);
        c->rip = to64 ? ip : ip & size_mask(opsize);
        load_outer_stack(c, ss, rsp, cpl, to64);
        if (cpl > old_cpl)
            null_inaccessible(c);
    } else {
        flags_write_checked(c, fl, opsize);
        seg_load_cs(c, cs, d, cpl);
        c->rip = ip & size_mask(opsize);
        reg_write(c, R_RSP, c->stack_size, (sp + 3 * opsize) & m);
    }
    /* RF from the image lets a #DB handler resume at an instruction breakpoint (SDM vol. 3,
     * 17.3.1.1); it only matters, and is only kept, while one is armed (db_step clears it). */
    if (opsize >= 4 && (fl & F_RF) && (c->dr_armed & DB_ARMED_EXEC))
        c->flags |= F_RF;
    c->tb_end = true;
}

/* The base of a 16-byte system descriptor (TSS, LDT) in IA-32e mode. */
static uint64_t sys_desc_base(const uint64_t d[2])
{
    return seg_desc_get_base(d) | (d[1] & 0xffffffffull) << 32;
}

void seg_check_avail_tss(struct cpu *c, const uint64_t d[2], uint32_t err)
{
    unsigned type = (d[0] >> 40) & 0xf;
    if (((d[0] >> 44) & 1) || (type != 1 && type != 9))
        cpu_raise_gp(c, err);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, err);
}

void seg_load_tr(struct cpu *c, uint16_t sel)
{
    uint32_t err = sel & 0xfffc;
    bool wide = (c->efer & EFER_LMA) != 0;
    uint64_t d[2];
    if (!(sel & ~3u) || (sel & 4))
        cpu_raise_gp(c, err);
    if (!seg_read_desc(c, sel, d, wide, 0))
        cpu_raise_gp(c, err);
    seg_check_avail_tss(c, d, err);
    if (wide && !cpu_canonical(c, sys_desc_base(d)))
        cpu_raise_gp(c, err);   /* SDM vol. 2, LTR: a non-canonical base in IA-32e mode */
    /* Mark it busy in the GDT (SDM vol. 3, 7.2.2). */
    d[0] |= 2ull << 40;
    lin_write(c, c->gdt.base + (sel & ~7u) + 5, 1, (d[0] >> 40) & 0xff, false);
    seg_from_desc(&c->seg[SEG_TR], sel, d);
    if (!wide)
        c->seg[SEG_TR].base &= 0xffffffffull;
}

void seg_load_ldt(struct cpu *c, uint16_t sel)
{
    uint32_t err = sel & 0xfffc;
    if (!(sel & ~3u)) {
        seg_set_null(c, SEG_LDTR, sel);
        return;
    }
    bool wide = (c->efer & EFER_LMA) != 0;
    uint64_t d[2];
    if ((sel & 4) || !seg_read_desc(c, sel, d, wide, 0))
        cpu_raise_gp(c, err);
    if (((d[0] >> 44) & 1) || ((d[0] >> 40) & 0xf) != 2)
        cpu_raise_gp(c, err);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, err);
    if (wide && !cpu_canonical(c, sys_desc_base(d)))
        cpu_raise_gp(c, err);   /* SDM vol. 2, LLDT */
    seg_from_desc(&c->seg[SEG_LDTR], sel, d);
    if (!wide)
        c->seg[SEG_LDTR].base &= 0xffffffffull;
}
