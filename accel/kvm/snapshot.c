/* KVM's side of a snapshot (machine/accel.h's get_arch/set_arch): KVM_GET/SET_DEBUGREGS, XCRS, XSAVE, MSRS
 * (VCPU_SNAP_MSR_LIST, those this kernel knows), MP_STATE and VCPU_EVENTS (Linux
 * Documentation/virt/kvm/api.rst 4.x), turned into the architecture's form of machine/accel.h. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm.h"

static const uint32_t snap_msrs[] = VCPU_SNAP_MSR_LIST;
#define NSNAP (sizeof(snap_msrs) / sizeof(snap_msrs[0]))
#define XCR0_AMX (3ull << 17)          /* TILECFG, TILEDATA: past KVM_GET_XSAVE's 4 KiB */

/* One MSR for KVM_GET/SET_MSRS: the header and its entry (kvm_msrs ends in a flexible array). */
union msr_buf {
    struct kvm_msrs h;
    uint8_t raw[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
};

/* One MSR at a time: an MSR this kernel or the guest's CPUID lacks is left out, not an error. */
static int get_msrs(int fd, struct vcpu_arch_state *a)
{
    for (size_t k = 0; k < NSNAP && a->nmsrs < VCPU_SNAP_MAX_MSRS; k++) {
        union msr_buf b;
        memset(&b, 0, sizeof(b));
        b.h.nmsrs = 1;
        b.h.entries[0].index = snap_msrs[k];
        int n = ioctl(fd, KVM_GET_MSRS, &b);
        if (n == 1)
            a->msrs[a->nmsrs++] = (struct vcpu_msr){ snap_msrs[k], b.h.entries[0].data };
    }
    return 0;
}

static int fail(struct vcpu *v, const char *what);

/* The XSAVE area where XCR0 enables more than x87 and SSE (else the FPU state says it all, and the
 * file stays loadable by the soft CPU). KVM_GET_XSAVE gives the standard format in 4 KiB. */
static int get_xsave(struct vcpu *v, int fd, struct vcpu_arch_state *a)
{
    if (!(a->xcr0 & ~3ull))
        return 0;
    if (a->xcr0 & XCR0_AMX) {
        snprintf(v->vm->accel_err, sizeof(v->vm->accel_err), "%s",
                 "the guest uses AMX tile state, which vmon cannot save yet");
        return -ENOTSUP;
    }
    static_assert(sizeof(struct kvm_xsave) == VCPU_XSAVE_MAX, "KVM's XSAVE area is 4 KiB");
    struct kvm_xsave x;
    if (ioctl(fd, KVM_GET_XSAVE, &x) < 0)
        return fail(v, "KVM_GET_XSAVE");
    memcpy(a->xsave, &x, sizeof(x));
    a->xsave_len = sizeof(x);
    return 0;
}

int kvm_get_arch(struct vcpu *v, struct vcpu_arch_state *a)
{
    struct kvm_vcpu_state *c = v->accel;
    memset(a, 0, sizeof(*a));
    struct kvm_debugregs dr;
    if (ioctl(c->fd, KVM_GET_DEBUGREGS, &dr) < 0)
        return -errno;
    memcpy(a->dr, dr.db, sizeof(dr.db));
    a->dr[6] = dr.dr6;
    a->dr[7] = dr.dr7;
    struct kvm_xcrs x;
    memset(&x, 0, sizeof(x));
    a->xcr0 = 1;
    if (ioctl(c->fd, KVM_GET_XCRS, &x) == 0) {
        for (unsigned i = 0; i < x.nr_xcrs && i < KVM_MAX_XCRS; i++)
            if (x.xcrs[i].xcr == 0)
                a->xcr0 = x.xcrs[i].value;
    }
    int r = get_xsave(v, c->fd, a);
    if (r < 0)
        return r;
    get_msrs(c->fd, a);
    struct kvm_mp_state mp;
    if (ioctl(c->fd, KVM_GET_MP_STATE, &mp) < 0)
        return -errno;
    a->mp_state = mp.mp_state == KVM_MP_STATE_HALTED ? VCPU_MP_HALTED
                : mp.mp_state == KVM_MP_STATE_UNINITIALIZED || mp.mp_state == KVM_MP_STATE_INIT_RECEIVED
                ? VCPU_MP_WAIT_SIPI : VCPU_MP_RUNNABLE;
    struct kvm_vcpu_events ev;
    if (ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return -errno;
    a->nmi_pending = ev.nmi.pending;
    a->nmi_masked = ev.nmi.masked;
    a->int_shadow = ev.interrupt.shadow != 0;
    a->exc_injected = ev.exception.injected;
    a->exc_nr = ev.exception.nr;
    a->exc_has_err = ev.exception.has_error_code;
    a->exc_err = ev.exception.error_code;
    a->irq_injected = ev.interrupt.injected;
    a->irq_nr = ev.interrupt.nr;
    return 0;
}

static int fail(struct vcpu *v, const char *what)
{
    int e = errno;
    snprintf(v->vm->accel_err, sizeof(v->vm->accel_err), "%s: %s", what, strerror(e));
    return -e;
}

static int set_msrs(struct vcpu *v, int fd, const struct vcpu_arch_state *a)
{
    for (unsigned k = 0; k < a->nmsrs && k < VCPU_SNAP_MAX_MSRS; k++) {
        union msr_buf b;
        memset(&b, 0, sizeof(b));
        b.h.nmsrs = 1;
        b.h.entries[0].index = a->msrs[k].index;
        b.h.entries[0].data = a->msrs[k].value;
        if (ioctl(fd, KVM_SET_MSRS, &b) != 1 && a->msrs[k].value != 0) {
            snprintf(v->vm->accel_err, sizeof(v->vm->accel_err), "MSR %#x value %#llx refused by KVM",
                     a->msrs[k].index, (unsigned long long)a->msrs[k].value);
            return -EINVAL;
        }
    }
    return 0;
}

/* After XCR0 (the area's components must be ones the guest may enable): KVM checks the header. */
static int set_xsave(struct vcpu *v, int fd, const struct vcpu_arch_state *a)
{
    struct kvm_xsave x;
    memset(&x, 0, sizeof(x));
    memcpy(&x, a->xsave, a->xsave_len < sizeof(x) ? a->xsave_len : sizeof(x));
    return ioctl(fd, KVM_SET_XSAVE, &x) < 0 ? fail(v, "KVM_SET_XSAVE") : 0;
}

int kvm_set_arch(struct vcpu *v, const struct vcpu_arch_state *a)
{
    struct kvm_vcpu_state *c = v->accel;
    struct kvm_debugregs dr;
    memset(&dr, 0, sizeof(dr));
    memcpy(dr.db, a->dr, sizeof(dr.db));
    dr.dr6 = (a->dr[6] & 0xf00f) | 0xffff0ff0;
    dr.dr7 = (a->dr[7] & 0xffff2fff) | 0x400;
    if (ioctl(c->fd, KVM_SET_DEBUGREGS, &dr) < 0)
        return fail(v, "KVM_SET_DEBUGREGS");
    struct kvm_xcrs x;
    memset(&x, 0, sizeof(x));
    x.nr_xcrs = 1;
    x.xcrs[0].value = a->xcr0 ? a->xcr0 : 1;
    if (ioctl(c->fd, KVM_SET_XCRS, &x) < 0 && a->xcr0 > 1)
        return fail(v, "KVM_SET_XCRS");
    if (a->xsave_len && set_xsave(v, c->fd, a) < 0)
        return -EINVAL;
    int r = set_msrs(v, c->fd, a);
    if (r < 0)
        return r;
    struct kvm_vcpu_events ev;
    if (ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return fail(v, "KVM_GET_VCPU_EVENTS");
    ev.nmi.pending = a->nmi_pending;
    ev.nmi.masked = a->nmi_masked;
    ev.interrupt.shadow = a->int_shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
    ev.exception.injected = a->exc_injected;
    ev.exception.nr = a->exc_nr;
    ev.exception.has_error_code = a->exc_has_err;
    ev.exception.error_code = a->exc_err;
    ev.interrupt.injected = a->irq_injected;
    ev.interrupt.nr = a->irq_nr;
    ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
    if (ioctl(c->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
        return fail(v, "KVM_SET_VCPU_EVENTS");
    struct kvm_mp_state mp = {
        a->mp_state == VCPU_MP_HALTED ? KVM_MP_STATE_HALTED
        : a->mp_state == VCPU_MP_WAIT_SIPI ? KVM_MP_STATE_INIT_RECEIVED : KVM_MP_STATE_RUNNABLE
    };
    if (ioctl(c->fd, KVM_SET_MP_STATE, &mp) < 0)
        return fail(v, "KVM_SET_MP_STATE");
    return 0;
}
