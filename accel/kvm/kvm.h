/* The KVM accelerator's private state (accel/kvm/): per VM and per vCPU. */
#ifndef VMON_ACCEL_KVM_KVM_H
#define VMON_ACCEL_KVM_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>

#include "machine/vm.h"

#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull   /* 1 page, below the TSS */
#define KVM_TSS_ADDR 0xfeffd000ull            /* 3 pages, ending below pc-testdev's window */
#define KVM_KICK_SIGNAL SIGUSR1

struct kvm_vm_state {          /* vm->accel_state */
    int kvm_fd, vm_fd;
    int run_size;              /* bytes of each vCPU's kvm_run mapping */
    struct kvm_cpuid2 *cpuid;  /* supported CPUID, the model and --cpu-features applied */
    struct cpu_model model;    /* vm->cfg.cpu_model; for max and host, with the host's vendor */
    struct kvm_irqchip chips0[3];  /* PIC master, slave, IOAPIC as created: what a reset restores */
    struct kvm_pit_state2 pit0;
    /* GSI routing (routing.c): the fixed ISA/IOAPIC entries plus MSI routes on GSIs from
     * ACCEL_MSI_GSI_BASE; lock guards msi[] and each KVM_SET_GSI_ROUTING. */
    pthread_mutex_t route_lock;
    struct kvm_irq_routing_entry msi[ACCEL_MSI_GSIS];
    bool msi_on[ACCEL_MSI_GSIS];
    /* The PAM window (pam.c): the first RAM slot split around it, each segment's slot (NULL: none
     * yet) and whether it is read-only; whether RAM slots log dirty pages (dirty.c). */
    bool pam_split;
    uint8_t *pam_hva[PAM_SEGS];
    bool pam_ro[PAM_SEGS];
    bool dirty_logging;
};

/* routing.c: the table KVM_SET_GSI_ROUTING gets (0 or -1 with errno); an MSI route's change. */
int kvm_set_gsi_routing(struct kvm_vm_state *k);
int kvm_msi_route(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data, bool on);

struct kvm_vcpu_state {        /* vcpu->accel */
    int fd;
    struct kvm_run *run;
    struct kvm_lapic_state lapic0;  /* its LAPIC as created (LINT pins set): what a reset restores */
};

/* What one exit means for the VM: device calls on the buses, then VCPU_CONTINUE or why to stop.
 * No ioctls, so tests can feed it fake struct kvm_run values (accel/kvm/exit_test.c). */
int kvm_handle_exit(struct vcpu *v, struct kvm_run *run);

int kvm_vcpu_init(struct vcpu *v);
int kvm_vcpu_reset(struct vcpu *v);
int kvm_vcpu_run(struct vcpu *v);
int kvm_get_state(struct vcpu *v, struct cpu_state *s);
int kvm_set_state(struct vcpu *v, const struct cpu_state *s);
/* debug.c: KVM_SET_GUEST_DEBUG, KVM_EXIT_DEBUG, the FPU. */
int kvm_set_debug(struct vcpu *v, const struct vcpu_debug *d);
int kvm_debug_exit(struct vcpu *v, const struct kvm_run *run);
int kvm_get_fpu(struct vcpu *v, struct fpu_state *f);
int kvm_set_fpu(struct vcpu *v, const struct fpu_state *f);
/* snapshot.c: machine/accel.h's get_arch / set_arch. */
int kvm_get_arch(struct vcpu *v, struct vcpu_arch_state *a);
int kvm_set_arch(struct vcpu *v, const struct vcpu_arch_state *a);
/* irqchip-state.c: machine/accel.h's save_irqchip / load_irqchip. */
int kvm_save_irqchip(struct vm *vm, struct vms_writer *w);
/* pam.c: machine/accel.h's mem_remap, and the KVM slots of writable RAM as they are now. */
int kvm_mem_remap(struct vm *vm, uint64_t gpa, uint64_t len);
struct kvm_ram_region {
    uint32_t id;
    uint64_t gpa, size;
    uint8_t *hva;
};
#define KVM_RAM_REGIONS_MAX (GUEST_MAX_SLOTS + PAM_SEGS + 1)
int kvm_ram_regions(struct vm *vm, struct kvm_ram_region *out, int max);
/* A live migration's dirty log (dirty.c). */
int kvm_dirty_log(struct vm *vm, bool on);
int kvm_dirty_sync(struct vm *vm);
int kvm_load_irqchip(struct vm *vm, struct vms_index *idx, char *err, size_t errlen);
void kvm_vcpu_kick(struct vcpu *v);
void kvm_vcpu_destroy(struct vcpu *v);
/* eventfd.c: machine/accel.h's ioeventfd and irqfd. */
int kvm_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, int fd, bool on);
int kvm_irqfd(struct vm *vm, unsigned gsi, int fd, int resample_fd, bool on);

#endif
