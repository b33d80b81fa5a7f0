/* The accelerator interface: what runs a vCPU (KVM or the software CPU), as an ops table. */
#ifndef VMON_MACHINE_ACCEL_H
#define VMON_MACHINE_ACCEL_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct mem_slot;

/* A segment register in the accelerator-neutral form (the fields of KVM's struct kvm_segment). */
struct seg_state {
    uint64_t base;
    uint32_t limit;        /* bytes - 1, already scaled by G */
    uint16_t selector;
    uint8_t type;          /* 4-bit descriptor type */
    uint8_t s, dpl, present, avl, l, db, g;
    uint8_t unusable;
};

struct dtable_state {
    uint64_t base;
    uint16_t limit;
};

enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_TR, SEG_LDTR, SEG_COUNT };

/* Architectural CPU state the loaders set and the debug dumps print. */
struct cpu_state {
    uint64_t gpr[16];      /* indexed by R_* (x86 register number) */
    uint64_t rip, rflags;
    struct seg_state seg[SEG_COUNT];  /* indexed by SEG_* */
    struct dtable_state gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    uint64_t apic_base;
};

/* Why a vCPU's run loop returned; the VM ends with the first one that is not VCPU_CONTINUE. */
enum vcpu_exit {
    VCPU_CONTINUE = 0,
    VCPU_STOP,             /* asked to stop (another vCPU ended the VM, a signal) */
    VCPU_POWEROFF,         /* guest powered off: vmon exits 0 */
    VCPU_RESET,            /* guest reset (i8042, triple fault only when asked): vmon exits 0 */
    VCPU_DEBUG_EXIT,       /* isa-debug-exit: vmon exits vm->exit_code */
    VCPU_CRASH,            /* triple fault / internal error: register dump, vmon exits 1 */
};

/* Exit reasons counted by --exit-stats, under either accelerator. */
enum exit_reason {
    EXIT_IO, EXIT_MMIO, EXIT_HLT, EXIT_SHUTDOWN, EXIT_SYSTEM_EVENT, EXIT_IRQ_WINDOW,
    EXIT_INTR, EXIT_INTERNAL_ERROR, EXIT_OTHER, EXIT_REASON_COUNT,
};

struct accel_ops {
    const char *name;                       /* "kvm" or "soft" */
    /* Is this accelerator usable here? On false, *why says why (static string). */
    bool (*available)(const char **why);
    int (*vm_init)(struct vm *vm);          /* create the VM; 0 or -errno */
    int (*map_slot)(struct vm *vm, const struct mem_slot *slot);
    int (*vcpu_init)(struct vcpu *v);
    /* Run on the vCPU's own thread until something ends the VM; returns enum vcpu_exit. */
    int (*vcpu_run)(struct vcpu *v);
    int (*get_state)(struct vcpu *v, struct cpu_state *s);
    int (*set_state)(struct vcpu *v, const struct cpu_state *s);
    /* Raise or lower an ISA/GSI interrupt line (PIC/IOAPIC input). */
    void (*set_irq)(struct vm *vm, unsigned gsi, int level);
    /* Make a vCPU leave its run loop soon (any thread). */
    void (*vcpu_kick)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    void (*vm_destroy)(struct vm *vm);
};

extern const struct accel_ops kvm_accel_ops;
extern const struct accel_ops soft_accel_ops;

#endif
