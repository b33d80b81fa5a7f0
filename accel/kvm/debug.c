/* Guest debugging under KVM (Linux Documentation/virt/kvm/api.rst: KVM_SET_GUEST_DEBUG,
 * KVM_EXIT_DEBUG, KVM_GET_FPU/KVM_SET_FPU): single-step, int3 and DR0-DR3/DR7 breakpoints owned by
 * the host debugger, and the x87/SSE state as struct fpu_state. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

int kvm_set_debug(struct vcpu *v, const struct vcpu_debug *d)
{
    struct kvm_vcpu_state *c = v->accel;
    struct kvm_guest_debug g;
    memset(&g, 0, sizeof(g));
    if (d->single_step || d->sw_bp || d->hw_dr7) {
        g.control = KVM_GUESTDBG_ENABLE;
        if (d->single_step)
            g.control |= KVM_GUESTDBG_SINGLESTEP;
        if (d->sw_bp)
            g.control |= KVM_GUESTDBG_USE_SW_BP;
        if (d->hw_dr7) {
            g.control |= KVM_GUESTDBG_USE_HW_BP;
            for (int n = 0; n < 4; n++)
                g.arch.debugreg[n] = d->hw_addr[n];
            g.arch.debugreg[7] = d->hw_dr7 | 0x400;   /* bit 10 reads as 1 */
        }
    }
    if (ioctl(c->fd, KVM_SET_GUEST_DEBUG, &g) < 0) {
        int e = errno;
        snprintf(v->vm->accel_err, sizeof(v->vm->accel_err),
                 "KVM_SET_GUEST_DEBUG: %s (this host's KVM does not offer guest debugging)", strerror(e));
        return e == EINVAL || e == ENOTTY ? -ENOTSUP : -e;
    }
    return 0;
}

/* KVM_EXIT_DEBUG: exception 3 is our int3 (rip is at it), 1 a #DB from single-step or DR0-DR3. */
int kvm_debug_exit(struct vcpu *v, const struct kvm_run *run)
{
    const struct kvm_debug_exit_arch *a = &run->debug.arch;
    if (a->exception == 3)
        v->debug_event = (struct vcpu_debug_event){ VCPU_DBG_SW_BP, 0 };
    else if (a->dr6 & 0xf)
        v->debug_event = (struct vcpu_debug_event){ VCPU_DBG_HW, (unsigned)(a->dr6 & 0xf) };
    else
        v->debug_event = (struct vcpu_debug_event){ VCPU_DBG_STEP, 0 };
    return VCPU_DEBUG;
}

/* The abridged tag (one bit per register: not empty) to the full one; a non-empty register is
 * called valid (the debugger shows the value either way). */
static uint16_t full_tag(uint8_t abridged)
{
    uint16_t t = 0;
    for (int r = 0; r < 8; r++)
        if (!(abridged & (1u << r)))
            t |= (uint16_t)(3u << (2 * r));
    return t;
}

int kvm_get_fpu(struct vcpu *v, struct fpu_state *f)
{
    struct kvm_vcpu_state *c = v->accel;
    struct kvm_fpu k;
    if (ioctl(c->fd, KVM_GET_FPU, &k) < 0)
        return -errno;
    memcpy(f->st, k.fpr, sizeof(f->st));
    f->fcw = k.fcw;
    f->fsw = k.fsw;
    f->ftw = full_tag(k.ftwx);
    f->fop = k.last_opcode;
    f->fip = k.last_ip;
    f->fdp = k.last_dp;
    memcpy(f->xmm, k.xmm, sizeof(f->xmm));
    f->mxcsr = k.mxcsr;
    return 0;
}

int kvm_set_fpu(struct vcpu *v, const struct fpu_state *f)
{
    struct kvm_vcpu_state *c = v->accel;
    struct kvm_fpu k;
    if (ioctl(c->fd, KVM_GET_FPU, &k) < 0)
        return -errno;
    memcpy(k.fpr, f->st, sizeof(k.fpr));
    k.fcw = f->fcw;
    k.fsw = f->fsw;
    k.ftwx = 0;
    for (int r = 0; r < 8; r++)
        if (((f->ftw >> (2 * r)) & 3) != 3)
            k.ftwx |= (uint8_t)(1u << r);
    k.last_opcode = f->fop;
    k.last_ip = f->fip;
    k.last_dp = f->fdp;
    memcpy(k.xmm, f->xmm, sizeof(k.xmm));
    k.mxcsr = f->mxcsr;
    return ioctl(c->fd, KVM_SET_FPU, &k) < 0 ? -errno : 0;
}
