/* KVM vCPUs: creation (CPUID, LAPIC LINT pins, FPU, initial registers), the KVM_RUN loop on the
 * vCPU's own thread, the kick that interrupts it, and register access as struct cpu_state.
 *
 * Kicking: KVM_KICK_SIGNAL stays blocked on the vCPU thread except inside KVM_RUN
 * (KVM_SET_SIGNAL_MASK), so a kick sent while the thread is in userspace waits, pending, and makes
 * the next KVM_RUN return EINTR at once: no window where a kick is lost. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/cpuid.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 1ull
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 4
#define APIC_MODE_EXTINT 7
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_BSP (1ull << 8)
#define APIC_DEFAULT_BASE 0xfee00000ull

static int set_cpuid(struct vcpu *v, int fd)
{
    struct kvm_vm_state *k = v->vm->accel_state;
    size_t size = sizeof(*k->cpuid) + k->cpuid->nent * sizeof(k->cpuid->entries[0]);
    struct kvm_cpuid2 *c = malloc(size);
    if (!c)
        return -ENOMEM;
    memcpy(c, k->cpuid, size);
    struct cpuid_src src = { &k->model, &v->vm->topo, v->apic_id, NULL };
    cpuid_set_apic_id(c->entries, (int)c->nent, &src);
    int r = ioctl(fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
    free(c);
    return r;
}

/* Virtual-wire mode, as PC firmware leaves it (MP spec 3.6.2.2): LINT0 takes the 8259's ExtINT,
 * LINT1 the NMI, so a guest that never programs the LAPIC still gets PIC interrupts. */
static int set_lint(int fd)
{
    struct kvm_lapic_state lapic;
    if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0)
        return -errno;
    uint32_t lvt0, lvt1;
    memcpy(&lvt0, &lapic.regs[APIC_LVT0], 4);
    memcpy(&lvt1, &lapic.regs[APIC_LVT1], 4);
    lvt0 = (lvt0 & ~0x700u & ~(1u << 16)) | (APIC_MODE_EXTINT << 8);
    lvt1 = (lvt1 & ~0x700u & ~(1u << 16)) | (APIC_MODE_NMI << 8);
    memcpy(&lapic.regs[APIC_LVT0], &lvt0, 4);
    memcpy(&lapic.regs[APIC_LVT1], &lvt1, 4);
    return ioctl(fd, KVM_SET_LAPIC, &lapic) < 0 ? -errno : 0;
}

static int set_msrs_and_fpu(int fd)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[1];
    } msrs = { .hdr.nmsrs = 1, .e[0] = { .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING } };
    if (ioctl(fd, KVM_SET_MSRS, &msrs) != 1)
        return -EIO;
    struct kvm_fpu fpu;
    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;           /* the FNINIT state */
    fpu.mxcsr = 0x1f80;        /* all SSE exceptions masked */
    return ioctl(fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

int kvm_vcpu_init(struct vcpu *v)
{
    struct kvm_vm_state *k = v->vm->accel_state;
    struct kvm_vcpu_state *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->fd = -1;
    v->accel = c;
    c->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->apic_id);   /* its LAPIC's id */
    if (c->fd < 0)
        return -errno;
    void *run = mmap(NULL, (size_t)k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (run == MAP_FAILED)
        return -errno;
    c->run = run;
    int r;
    if ((r = set_cpuid(v, c->fd)) < 0 || (r = set_lint(c->fd)) < 0 || (r = set_msrs_and_fpu(c->fd)) < 0)
        return r;
    if (v->id == 0)
        return kvm_set_state(v, &v->vm->boot_state);
    /* Application processors wait for INIT/SIPI from the BSP, delivered by the in-kernel LAPIC. */
    struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };
    return ioctl(c->fd, KVM_SET_MP_STATE, &mp) < 0 ? -errno : 0;
}

/* Unblock the kick signal for the duration of KVM_RUN only. */
static int arm_kick(int fd)
{
    sigset_t blocked, during_run;
    sigemptyset(&blocked);
    sigaddset(&blocked, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &blocked, &during_run);
    sigdelset(&during_run, KVM_KICK_SIGNAL);
    struct {
        struct kvm_signal_mask hdr;
        uint8_t set[8];        /* the kernel's sigset_t: 64 bits */
    } m = { .hdr.len = 8 };
    memcpy(m.set, &during_run, 8);
    return ioctl(fd, KVM_SET_SIGNAL_MASK, &m) < 0 ? -errno : 0;
}

/* KVM_RUN returned EINTR for a kick that came while the thread was in userspace: the signal is still
 * pending (blocked again), and would make every later KVM_RUN return EINTR at once. Take it (as
 * QEMU's kvm_eat_signals does); the loop looks at the stop flags next, which the kicker set first. */
static void eat_kick(void)
{
    sigset_t s;
    struct timespec zero = { 0, 0 };
    sigemptyset(&s);
    sigaddset(&s, KVM_KICK_SIGNAL);
    while (sigtimedwait(&s, NULL, &zero) > 0)
        ;
}

int kvm_vcpu_run(struct vcpu *v)
{
    struct kvm_vcpu_state *c = v->accel;
    struct vm *vm = v->vm;
    int r = arm_kick(c->fd);
    if (r < 0) {
        fprintf(stderr, "vmon: kvm: vCPU %d: KVM_SET_SIGNAL_MASK: %s\n", v->id, strerror(-r));
        return VCPU_CRASH;
    }
    for (;;) {
        if (vm_should_stop(vm))
            return VCPU_STOP;
        if (ioctl(c->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (errno == EINTR)
                    eat_kick();
                vm_count_exit(vm, EXIT_INTR, 0);
                continue;
            }
            fprintf(stderr, "vmon: kvm: vCPU %d: KVM_RUN: %s\n", v->id, strerror(errno));
            return VCPU_CRASH;
        }
        r = kvm_handle_exit(v, c->run);
        if (r != VCPU_CONTINUE)
            return r;
    }
}

void kvm_vcpu_kick(struct vcpu *v)
{
    pthread_kill(v->thread, KVM_KICK_SIGNAL);
}

void kvm_vcpu_destroy(struct vcpu *v)
{
    struct kvm_vcpu_state *c = v->accel;
    if (!c)
        return;
    if (c->run)
        munmap(c->run, (size_t)((struct kvm_vm_state *)v->vm->accel_state)->run_size);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    v->accel = NULL;
}

static void seg_to_kvm(const struct seg_state *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof(*k));
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->selector;
    k->type = s->type;
    k->s = s->s;
    k->dpl = s->dpl;
    k->present = s->present;
    k->avl = s->avl;
    k->l = s->l;
    k->db = s->db;
    k->g = s->g;
    k->unusable = s->unusable;
}

static void seg_from_kvm(const struct kvm_segment *k, struct seg_state *s)
{
    s->base = k->base;
    s->limit = k->limit;
    s->selector = k->selector;
    s->type = k->type;
    s->s = k->s;
    s->dpl = k->dpl;
    s->present = k->present;
    s->avl = k->avl;
    s->l = k->l;
    s->db = k->db;
    s->g = k->g;
    s->unusable = k->unusable;
}

static struct kvm_segment *kvm_seg(struct kvm_sregs *sr, int i)
{
    struct kvm_segment *segs[SEG_COUNT] = { &sr->es, &sr->cs, &sr->ss, &sr->ds,
                                            &sr->fs, &sr->gs, &sr->tr, &sr->ldt };
    return segs[i];
}

/* KVM's struct kvm_regs orders the GPRs rax rbx rcx rdx rsi rdi rsp rbp r8..r15. */
static __u64 *kvm_gpr(struct kvm_regs *r, int i)
{
    __u64 *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
                          &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
    return map[i];
}

int kvm_set_state(struct vcpu *v, const struct cpu_state *s)
{
    struct kvm_vcpu_state *c = v->accel;
    struct kvm_sregs sr;
    if (ioctl(c->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    for (int i = 0; i < SEG_COUNT; i++)
        seg_to_kvm(&s->seg[i], kvm_seg(&sr, i));
    sr.gdt.base = s->gdt.base;
    sr.gdt.limit = s->gdt.limit;
    sr.idt.base = s->idt.base;
    sr.idt.limit = s->idt.limit;
    sr.cr0 = s->cr0;
    sr.cr2 = s->cr2;
    sr.cr3 = s->cr3;
    sr.cr4 = s->cr4;
    sr.cr8 = s->cr8;
    sr.efer = s->efer;
    sr.apic_base = s->apic_base ? s->apic_base
                 : APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (v->id == 0 ? APIC_BASE_BSP : 0);
    if (ioctl(c->fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    struct kvm_regs r;
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 16; i++)
        *kvm_gpr(&r, i) = s->gpr[i];
    r.rip = s->rip;
    r.rflags = s->rflags | 2;  /* bit 1 is reserved, always 1 */
    return ioctl(c->fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

int kvm_get_state(struct vcpu *v, struct cpu_state *s)
{
    struct kvm_vcpu_state *c = v->accel;
    struct kvm_sregs sr;
    struct kvm_regs r;
    if (!c || ioctl(c->fd, KVM_GET_SREGS, &sr) < 0 || ioctl(c->fd, KVM_GET_REGS, &r) < 0)
        return c ? -errno : -ENODEV;
    for (int i = 0; i < SEG_COUNT; i++)
        seg_from_kvm(kvm_seg(&sr, i), &s->seg[i]);
    s->gdt.base = sr.gdt.base;
    s->gdt.limit = sr.gdt.limit;
    s->idt.base = sr.idt.base;
    s->idt.limit = sr.idt.limit;
    s->cr0 = sr.cr0;
    s->cr2 = sr.cr2;
    s->cr3 = sr.cr3;
    s->cr4 = sr.cr4;
    s->cr8 = sr.cr8;
    s->efer = sr.efer;
    s->apic_base = sr.apic_base;
    for (int i = 0; i < 16; i++)
        s->gpr[i] = *kvm_gpr(&r, i);
    s->rip = r.rip;
    s->rflags = r.rflags;
    return 0;
}
