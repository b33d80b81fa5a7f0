/* A vCPU in a VM state file (machine/snapshot.h): the architecture's registers in a fixed order,
 * SDM vol. 1 ch. 3 (GPRs, RIP, RFLAGS), vol. 3A 3.4 (segment registers with their hidden base, limit
 * and attributes), 2.5 (control registers, EFER, XCR0), 17.2 (debug registers), vol. 1 10.5 (the
 * FXSAVE image's x87/SSE state), then the MSRs as (index, value) pairs and the event state, and
 * last, where XCR0 enables more than x87 and SSE, the XSAVE area (vol. 1 13.4, standard format). */
#include "machine/snapshot.h"

#include <errno.h>

static void put_seg(struct vms_writer *w, const struct seg_state *g)
{
    vms_put_u64(w, g->base);
    vms_put_u32(w, g->limit);
    vms_put_u16(w, g->selector);
    uint8_t b[9] = { g->type, g->s, g->dpl, g->present, g->avl, g->l, g->db, g->g, g->unusable };
    vms_put_bytes(w, b, sizeof(b));
}

static void get_seg(struct vms_reader *r, struct seg_state *g)
{
    g->base = vms_get_u64(r);
    g->limit = vms_get_u32(r);
    g->selector = vms_get_u16(r);
    uint8_t b[9];
    vms_get_bytes(r, b, sizeof(b));
    g->type = b[0] & 15;
    g->s = b[1] & 1;
    g->dpl = b[2] & 3;
    g->present = b[3] & 1;
    g->avl = b[4] & 1;
    g->l = b[5] & 1;
    g->db = b[6] & 1;
    g->g = b[7] & 1;
    g->unusable = b[8] & 1;
}

void snapshot_cpu_put(struct vms_writer *w, const struct cpu_state *s, const struct fpu_state *f,
                      const struct vcpu_arch_state *a)
{
    for (int i = 0; i < 16; i++)
        vms_put_u64(w, s->gpr[i]);
    vms_put_u64(w, s->rip);
    vms_put_u64(w, s->rflags);
    for (int i = 0; i < SEG_COUNT; i++)
        put_seg(w, &s->seg[i]);
    vms_put_u64(w, s->gdt.base);
    vms_put_u16(w, s->gdt.limit);
    vms_put_u64(w, s->idt.base);
    vms_put_u16(w, s->idt.limit);
    uint64_t cr[] = { s->cr0, s->cr2, s->cr3, s->cr4, s->cr8, s->efer, s->apic_base, a->xcr0 };
    for (size_t i = 0; i < sizeof(cr) / sizeof(cr[0]); i++)
        vms_put_u64(w, cr[i]);
    for (int i = 0; i < 8; i++)
        vms_put_u64(w, a->dr[i]);
    vms_put_bytes(w, f->st, sizeof(f->st));
    vms_put_u16(w, f->fcw);
    vms_put_u16(w, f->fsw);
    vms_put_u16(w, f->ftw);
    vms_put_u16(w, f->fop);
    vms_put_u64(w, f->fip);
    vms_put_u64(w, f->fdp);
    vms_put_bytes(w, f->xmm, sizeof(f->xmm));
    vms_put_u32(w, f->mxcsr);
    vms_put_u32(w, a->nmsrs);
    for (unsigned i = 0; i < a->nmsrs; i++) {
        vms_put_u32(w, a->msrs[i].index);
        vms_put_u64(w, a->msrs[i].value);
    }
    uint8_t ev[9] = { a->mp_state, a->nmi_pending, a->nmi_masked, a->int_shadow, a->exc_injected,
                      a->exc_has_err, a->irq_injected, a->exc_nr, a->irq_nr };
    vms_put_bytes(w, ev, sizeof(ev));
    vms_put_u32(w, a->exc_err);
    if (a->xsave_len) {                        /* optional: files without it load as before */
        vms_put_u32(w, a->xsave_len);
        vms_put_bytes(w, a->xsave, a->xsave_len);
    }
}

int snapshot_cpu_get(struct vms_reader *r, struct cpu_state *s, struct fpu_state *f,
                     struct vcpu_arch_state *a)
{
    for (int i = 0; i < 16; i++)
        s->gpr[i] = vms_get_u64(r);
    s->rip = vms_get_u64(r);
    s->rflags = vms_get_u64(r);
    for (int i = 0; i < SEG_COUNT; i++)
        get_seg(r, &s->seg[i]);
    s->gdt.base = vms_get_u64(r);
    s->gdt.limit = vms_get_u16(r);
    s->idt.base = vms_get_u64(r);
    s->idt.limit = vms_get_u16(r);
    uint64_t *cr[] = { &s->cr0, &s->cr2, &s->cr3, &s->cr4, &s->cr8, &s->efer, &s->apic_base, &a->xcr0 };
    for (size_t i = 0; i < sizeof(cr) / sizeof(cr[0]); i++)
        *cr[i] = vms_get_u64(r);
    for (int i = 0; i < 8; i++)
        a->dr[i] = vms_get_u64(r);
    vms_get_bytes(r, f->st, sizeof(f->st));
    f->fcw = vms_get_u16(r);
    f->fsw = vms_get_u16(r);
    f->ftw = vms_get_u16(r);
    f->fop = vms_get_u16(r);
    f->fip = vms_get_u64(r);
    f->fdp = vms_get_u64(r);
    vms_get_bytes(r, f->xmm, sizeof(f->xmm));
    f->mxcsr = vms_get_u32(r);
    a->nmsrs = vms_get_u32(r);
    if (a->nmsrs > VCPU_SNAP_MAX_MSRS)
        return -EINVAL;
    for (unsigned i = 0; i < a->nmsrs; i++) {
        a->msrs[i].index = vms_get_u32(r);
        a->msrs[i].value = vms_get_u64(r);
    }
    uint8_t ev[9];
    vms_get_bytes(r, ev, sizeof(ev));
    a->mp_state = ev[0];
    a->nmi_pending = ev[1] & 1;
    a->nmi_masked = ev[2] & 1;
    a->int_shadow = ev[3] & 1;
    a->exc_injected = ev[4] & 1;
    a->exc_has_err = ev[5] & 1;
    a->irq_injected = ev[6] & 1;
    a->exc_nr = ev[7];
    a->irq_nr = ev[8];
    a->exc_err = vms_get_u32(r);
    a->xsave_len = 0;
    if (r->pos < r->len) {
        a->xsave_len = vms_get_u32(r);
        if (a->xsave_len < VCPU_XSAVE_MIN || a->xsave_len > VCPU_XSAVE_MAX)
            return -EINVAL;
        vms_get_bytes(r, a->xsave, a->xsave_len);
    }
    if (a->mp_state > VCPU_MP_WAIT_SIPI || (a->exc_injected && a->exc_nr > 31))
        return -EINVAL;
    /* Reserved bits that every accelerator refuses (SDM vol. 3A 2.5): CR0 and CR4 above bit 31,
     * RFLAGS above bit 21. */
    if ((s->cr0 >> 32) || (s->cr4 >> 32) || (s->rflags >> 22) || (f->mxcsr >> 16))
        return -EINVAL;
    return vms_reader_done(r);
}
