/* Call gates (SDM vol. 3, 5.8.3-5.8.6; vol. 2, CALL and JMP, "CALL-GATE"): a far call or jmp
 * whose selector names a gate descriptor goes to the gate's code segment and offset. A call to a
 * more privileged non-conforming segment switches to the inner stack the TSS holds for that level,
 * pushes the caller's SS and (E)SP, copies the gate's parameter count of words or dwords from the
 * caller's stack (32/16-bit gates only), then pushes CS and (E)IP; the far ret with an outer RPL
 * (seg_far_ret) undoes it. In long mode the gate is 16 bytes, its target 64-bit code, the new SS a
 * null selector and nothing is copied. */
#include "accel/soft/seg.h"

/* A field of the current TSS; beyond its limit: #TS(TSS selector). */
static uint64_t tss_field(struct cpu *c, unsigned off, unsigned size)
{
    const struct seg_cache *tr = &c->seg[SEG_TR];
    if (off + size - 1 > tr->limit)
        cpu_raise(c, EXC_TS, true, tr->sel & 0xfffc);
    return lin_read(c, tr->base + off, size, false);
}

/* The inner stack of level cpl in a 32- or 16-bit TSS, checked as CALL does: a null or bad SS is
 * #TS, a not-present one #SS (SDM vol. 2, CALL, "MORE-PRIVILEGE"). */
static void inner_stack_legacy(struct cpu *c, unsigned cpl, struct seg_cache *ss, uint64_t *sp)
{
    bool tss32 = (c->seg[SEG_TR].attr & 0xf) >= 9;
    uint16_t sel = (uint16_t)(tss32 ? tss_field(c, 8 + cpl * 8, 2) : tss_field(c, 4 + cpl * 4, 2));
    *sp = tss32 ? tss_field(c, 4 + cpl * 8, 4) : tss_field(c, 2 + cpl * 4, 2);
    uint32_t err = sel & 0xfffc;
    uint64_t d[2];
    if (!(sel & ~3u))
        cpu_raise(c, EXC_TS, true, 0);
    if (!seg_read_desc(c, sel, d, false, 0))
        cpu_raise(c, EXC_TS, true, err);
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3;
    if ((sel & 3) != cpl || dpl != cpl || !((d[0] >> 44) & 1) || (type & 8) || !(type & 2))
        cpu_raise(c, EXC_TS, true, err);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_SS, true, err);
    seg_desc_set_accessed(c, sel, &d[0]);
    seg_from_desc(ss, sel, d);
}

/* The gate's target code segment: present code at a level the caller may reach (a jmp reaches only
 * its own level, or a conforming segment). Returns the CPL the transfer runs at. */
static unsigned gate_target(struct cpu *c, uint16_t cs, uint64_t d[2], bool call, bool lm)
{
    uint32_t err = cs & 0xfffc;
    if (!(cs & ~3u))
        cpu_raise_gp(c, 0);
    if (!seg_read_desc(c, cs, d, false, 0))
        cpu_raise_gp(c, err);
    unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3;
    bool conforming = type & 4;
    if (!((d[0] >> 44) & 1) || !(type & 8) || dpl > c->cpl || (!call && !conforming && dpl != c->cpl))
        cpu_raise_gp(c, err);
    if (!((d[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, err);
    if (lm && (!((d[0] >> 53) & 1) || ((d[0] >> 54) & 1)))
        cpu_raise_gp(c, err);    /* a 64-bit gate leads to 64-bit code: L=1, D=0 */
    return conforming ? c->cpl : dpl;
}

/* Push size bytes below *sp on the stack at linear base (mask: the stack's address size). */
static void push_at(struct cpu *c, uint64_t base, uint64_t *sp, uint64_t mask, unsigned size, uint64_t v)
{
    *sp = (*sp - size) & mask;
    lin_write(c, mask == ~0ull ? base + *sp : (uint32_t)(base + *sp), size, v, false);
}

void seg_call_gate(struct cpu *c, uint16_t sel, const uint64_t gd[2], bool call)
{
    bool lm = (c->efer & EFER_LMA) != 0;
    uint32_t gerr = sel & 0xfffc;
    uint64_t g[2] = { gd[0], 0 };
    unsigned gdpl = (g[0] >> 45) & 3;
    if (gdpl < c->cpl || gdpl < (sel & 3u))
        cpu_raise_gp(c, gerr);
    if (!((g[0] >> 47) & 1))
        cpu_raise(c, EXC_NP, true, gerr);
    if (lm) {
        /* The second half holds offset 63:32; its type field must be 0 (SDM vol. 3, 5.8.3.1). */
        if (!seg_read_desc(c, sel, g, true, 0) || ((g[1] >> 40) & 0x1f))
            cpu_raise_gp(c, gerr);
    }
    unsigned gsize = lm ? 8 : ((g[0] >> 40) & 8) ? 4 : 2;
    unsigned nparams = lm ? 0 : (unsigned)(g[0] >> 32) & 0x1f;
    uint16_t cs = (uint16_t)(g[0] >> 16);
    uint64_t target = (g[0] & 0xffff) | ((g[0] >> 32) & 0xffff0000ull) | (g[1] & 0xffffffffull) << 32;
    if (gsize == 2)
        target &= 0xffff;
    uint64_t d[2];
    unsigned cpl = gate_target(c, cs, d, call, lm);
    uint64_t ret_ip = c->rip, old_cs = c->seg[SEG_CS].sel;

    if (!call || cpl == c->cpl) {
        if (call) {
            /* Same level: CS and the return address on the current stack, gate-sized. */
            uint64_t sp = stack_pointer(c), m = lm ? ~0ull : size_mask(c->stack_size);
            mem_write(c, SEG_SS, (sp - gsize) & m, gsize, old_cs);
            mem_write(c, SEG_SS, (sp - 2 * gsize) & m, gsize, ret_ip);
            if (lm)
                c->gpr[R_RSP] = sp - 2 * gsize;
            else
                reg_write(c, R_RSP, c->stack_size, (sp - 2 * gsize) & m);
        }
        seg_load_cs(c, cs, d, c->cpl);
        c->rip = target;
        c->tb_end = true;
        return;
    }

    /* More privileged: the inner stack. Everything is read and written before any register
     * changes, so a fault on the new stack leaves the caller's state as it was. */
    uint64_t old_ss = c->seg[SEG_SS].sel, old_sp = c->gpr[R_RSP];
    if (lm) {
        uint64_t sp = tss_field(c, 4 + cpl * 8, 8);
        if (!cpu_canonical(c, sp))
            cpu_raise(c, EXC_SS, true, 0);
        push_at(c, 0, &sp, ~0ull, 8, old_ss);
        push_at(c, 0, &sp, ~0ull, 8, old_sp);
        push_at(c, 0, &sp, ~0ull, 8, old_cs);
        push_at(c, 0, &sp, ~0ull, 8, ret_ip);
        /* SS becomes a null selector with RPL = the new CPL (SDM vol. 3, 5.8.6). */
        c->seg[SEG_SS] = (struct seg_cache){ .sel = (uint16_t)cpl, .attr = (uint16_t)(cpl << 5) };
        seg_load_cs(c, cs, d, cpl);
        c->gpr[R_RSP] = sp;
    } else {
        struct seg_cache ss;
        uint64_t sp;
        inner_stack_legacy(c, cpl, &ss, &sp);
        uint64_t m = (ss.attr & SEG_A_DB) ? 0xffffffffull : 0xffffull;
        sp &= m;
        unsigned total = gsize * (4 + nparams);
        if (!seg_legacy_ok(c, &ss, (sp - total) & m, total, ACC_WRITE))
            cpu_raise(c, EXC_SS, true, ss.sel & 0xfffc);
        /* The parameters, read from the caller's stack at the caller's privilege. */
        uint32_t params[31];
        uint64_t osp = stack_pointer(c), om = size_mask(c->stack_size);
        for (unsigned k = 0; k < nparams; k++)
            params[k] = (uint32_t)mem_read(c, SEG_SS, (osp + k * gsize) & om, gsize);
        push_at(c, ss.base, &sp, m, gsize, old_ss);
        push_at(c, ss.base, &sp, m, gsize, old_sp);
        for (unsigned k = nparams; k-- > 0;)
            push_at(c, ss.base, &sp, m, gsize, params[k]);
        push_at(c, ss.base, &sp, m, gsize, old_cs);
        push_at(c, ss.base, &sp, m, gsize, ret_ip);
        c->seg[SEG_SS] = ss;
        seg_load_cs(c, cs, d, cpl);
        reg_write(c, R_RSP, m == 0xffff ? 2 : 4, sp);
    }
    c->rip = target;
    c->tb_end = true;
}
