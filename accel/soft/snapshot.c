/* The soft CPU's side of a snapshot (machine/accel.h's get_arch/set_arch): debug registers, XCR0,
 * the MSRs of VCPU_SNAP_MSR_LIST through the same rdmsr/wrmsr paths the guest uses (SDM vol. 4), and
 * the event state between instructions (halted, waiting for SIPI, NMI pending/blocked, the STI/MOV SS
 * shadow). Called with the vCPU parked, which is always at an instruction boundary: no exception or
 * interrupt is half delivered, so a file that holds one (saved by KVM mid-injection) is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "accel/soft/debug.h"
#include "accel/soft/soft-int.h"
#include "machine/vm.h"
#include "util/bytes.h"

static const uint32_t snap_msrs[] = VCPU_SNAP_MSR_LIST;

int soft_get_arch(struct vcpu *v, struct vcpu_arch_state *a)
{
    struct soft_vcpu *s = v->accel;
    struct cpu *c = &s->cpu;
    memset(a, 0, sizeof(*a));
    memcpy(a->dr, c->dr, sizeof(a->dr));
    a->dr[6] = db_dr6(c);
    a->xcr0 = c->xcr0;
    for (size_t k = 0; k < sizeof(snap_msrs) / sizeof(snap_msrs[0]) && a->nmsrs < VCPU_SNAP_MAX_MSRS; k++) {
        uint64_t val;
        if (msr_read(c, snap_msrs[k], &val))
            a->msrs[a->nmsrs++] = (struct vcpu_msr){ snap_msrs[k], val };
    }
    a->mp_state = s->wait_sipi ? VCPU_MP_WAIT_SIPI : c->halted ? VCPU_MP_HALTED : VCPU_MP_RUNNABLE;
    a->nmi_pending = c->nmi_pending;
    a->nmi_masked = c->nmi_blocked;
    a->int_shadow = c->irq_shadow;
    return 0;
}

static int refuse(struct vcpu *v, const char *why)
{
    snprintf(v->vm->accel_err, sizeof(v->vm->accel_err), "%s", why);
    return -EINVAL;
}

/* The XSAVE area (SDM vol. 1 13.4) holds AVX state that is not in its initial configuration:
 * XSTATE_BV (header, byte 512) bit 2 and a non-zero upper half at 576 (13.5.3). The lower halves
 * are the XMM registers, which the FXSAVE image carries. */
static bool ymm_in_use(const struct vcpu_arch_state *a)
{
    if (a->xsave_len < 576 + 256 || !(get_le64(a->xsave + 512) & 4))
        return false;
    for (int i = 0; i < 256; i++)
        if (a->xsave[576 + i])
            return true;
    return false;
}

int soft_set_arch(struct vcpu *v, const struct vcpu_arch_state *a)
{
    struct soft_vcpu *s = v->accel;
    struct cpu *c = &s->cpu;
    if (a->exc_injected || a->irq_injected)
        return refuse(v, "the state holds an event in mid-injection, which the soft CPU cannot take");
    if (a->xcr0 & ~7ull)
        return refuse(v, "XCR0 enables state components the soft CPU does not have (AVX and above)");
    if (ymm_in_use(a))
        return refuse(v, "the AVX registers' upper halves hold values, which the soft CPU does not have");
    for (int k = 0; k < 4; k++)
        c->dr[k] = a->dr[k];
    c->dr[6] = (a->dr[6] & 0xf00f) | 0xffff0ff0;
    c->dr[7] = (a->dr[7] & 0xffff2fff) | 0x400;
    db_update(c);
    c->xcr0 = a->xcr0 ? a->xcr0 : 1;
    for (unsigned k = 0; k < a->nmsrs && k < VCPU_SNAP_MAX_MSRS; k++) {
        /* An MSR this CPU lacks at its reset value 0 (kvmclock's, saved under KVM's kvm=on) is
         * no state to lose; any other value is. */
        if (!msr_write(c, a->msrs[k].index, a->msrs[k].value) && a->msrs[k].value != 0) {
            snprintf(v->vm->accel_err, sizeof(v->vm->accel_err),
                     "MSR %#x value %#llx refused by the soft CPU", a->msrs[k].index,
                     (unsigned long long)a->msrs[k].value);
            return -EINVAL;
        }
    }
    s->wait_sipi = a->mp_state == VCPU_MP_WAIT_SIPI;
    c->halted = a->mp_state == VCPU_MP_HALTED;
    c->nmi_pending = a->nmi_pending;
    c->nmi_blocked = a->nmi_masked;
    c->irq_shadow = a->int_shadow;
    return 0;
}
