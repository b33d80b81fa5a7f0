/* The accelerator interface: what runs a vCPU (KVM or the software CPU), as an ops table, and what an
 * accelerator offers (capability fields the board wires from; it never asks which accelerator it is).
 * The machine owns it; accel/accel.c picks an implementation (accel/accel.h). */
#ifndef VMON_MACHINE_ACCEL_H
#define VMON_MACHINE_ACCEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;
struct mem_slot;
struct lapic;
struct vms_writer;
struct vms_index;

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
    VCPU_DEBUG,            /* stopped for the host debugger (struct vcpu's debug_event says why);
                              the VM pauses, it does not end */
};

/* x87 and SSE state in an accelerator-neutral form (the fields of KVM's struct kvm_fpu; FXSAVE's
 * layout, SDM vol. 1, 10.5.1). st[i] is ST(i), 80 bits in the low 10 bytes. */
struct fpu_state {
    uint8_t st[8][16];
    uint16_t fcw, fsw;
    uint16_t ftw;          /* full tag word, 2 bits per physical register (11 = empty) */
    uint16_t fop;
    uint64_t fip, fdp;
    uint8_t xmm[16][16];
    uint32_t mxcsr;
};

/* What a snapshot carries of a vCPU beyond struct cpu_state and struct fpu_state (machine/snapshot.c):
 * the architecture's registers and event state, not an accelerator's. msrs: the readable ones of
 * VCPU_SNAP_MSR_LIST, in that order. An event being injected (KVM's exception/interrupt "injected",
 * which a soft CPU never holds between blocks) is saved so an accelerator that cannot take it refuses. */
#define VCPU_SNAP_MSR_LIST { 0x10 /* TSC */, 0x174, 0x175, 0x176 /* SYSENTER_CS/ESP/EIP */, \
        0x1a0 /* MISC_ENABLE */, 0x277 /* PAT */, 0x6e0 /* TSC_DEADLINE */, 0xc0000081, 0xc0000082, \
        0xc0000083, 0xc0000084 /* STAR LSTAR CSTAR SFMASK */, 0xc0000102 /* KERNEL_GS_BASE */, \
        0xc0000103 /* TSC_AUX */, 0x4b564d00, 0x4b564d01 /* kvmclock wall clock, system time */ }
#define VCPU_SNAP_MAX_MSRS 32
#define VCPU_XSAVE_MAX 4096         /* KVM_GET_XSAVE's area; larger ones (AMX) are refused */
#define VCPU_XSAVE_MIN 576          /* legacy region and XSAVE header */
struct vcpu_msr {
    uint32_t index;
    uint64_t value;
};
enum vcpu_mp_state { VCPU_MP_RUNNABLE, VCPU_MP_HALTED, VCPU_MP_WAIT_SIPI };
struct vcpu_arch_state {
    uint64_t dr[8];            /* DR0-DR3, DR6 in dr[6], DR7 in dr[7] (4 and 5 unused) */
    uint64_t xcr0;
    unsigned nmsrs;
    struct vcpu_msr msrs[VCPU_SNAP_MAX_MSRS];
    uint8_t mp_state;          /* enum vcpu_mp_state */
    bool nmi_pending, nmi_masked;
    bool int_shadow;           /* after sti / mov ss: no interrupt before the next instruction */
    bool exc_injected, exc_has_err, irq_injected;
    uint8_t exc_nr, irq_nr;
    uint32_t exc_err;
    /* The XSAVE area in the standard (non-compacted) format, SDM vol. 1 13.4: where XCR0 enables
     * more than x87 and SSE, the state beyond the FXSAVE image (the AVX registers' upper halves,
     * ...) lives only here. 0 bytes: none (XCR0 <= 3, or an accelerator without it). */
    uint32_t xsave_len;
    uint8_t xsave[VCPU_XSAVE_MAX];
};

/* Host-side guest debugging (the gdbstub; KVM's KVM_SET_GUEST_DEBUG): while hw_dr7 enables a
 * breakpoint the guest's own debug registers are set aside, as under KVM. */
struct vcpu_debug {
    bool single_step;      /* stop after each instruction (interrupts held off meanwhile) */
    bool sw_bp;            /* int3 stops for the debugger instead of raising #BP */
    uint64_t hw_addr[4];   /* DR0-DR3 */
    uint64_t hw_dr7;       /* DR7's encoding (L bits, R/W and LEN fields); 0: none */
};

/* Why a vCPU returned VCPU_DEBUG. */
enum vcpu_debug_kind { VCPU_DBG_NONE, VCPU_DBG_STEP, VCPU_DBG_SW_BP, VCPU_DBG_HW };
struct vcpu_debug_event {
    int kind;              /* enum vcpu_debug_kind */
    unsigned hits;         /* VCPU_DBG_HW: DR6's B0-B3, which of hw_addr[] */
};

/* Exit reasons counted by --exit-stats, under either accelerator. */
enum exit_reason {
    EXIT_IO, EXIT_MMIO, EXIT_HLT, EXIT_SHUTDOWN, EXIT_SYSTEM_EVENT, EXIT_IRQ_WINDOW,
    EXIT_INTR, EXIT_INTERNAL_ERROR, EXIT_OTHER, EXIT_REASON_COUNT,
};

/* GSIs for MSI routes (msi_route below): above the IOAPIC's 24 pins. */
#define ACCEL_MSI_GSI_BASE 24u
#define ACCEL_MSI_GSIS     128u

struct accel_ops {
    const char *name;                       /* "kvm" or "soft": for messages only */
    /* What it offers. */
    bool irqchip_in_kernel;    /* PIC, IOAPIC, LAPICs and PIT are the accelerator's (set_irq drives
                                  them); otherwise the board provides them (machine/pc-soft.c) */
    bool traces;               /* --trace FILE: it can log each instruction it runs */
    /* Is this accelerator usable here? On false, *why says why (static string). */
    bool (*available)(const char **why);
    int (*vm_init)(struct vm *vm);          /* create the VM; 0 or -errno */
    int (*map_slot)(struct vm *vm, const struct mem_slot *slot);
    int (*vcpu_init)(struct vcpu *v);
    /* Run on the vCPU's own thread until something ends the VM; returns enum vcpu_exit. */
    int (*vcpu_run)(struct vcpu *v);
    int (*get_state)(struct vcpu *v, struct cpu_state *s);
    int (*set_state)(struct vcpu *v, const struct cpu_state *s);
    /* Raise or lower an ISA/GSI line of the in-kernel irqchip (irqchip_in_kernel only). */
    void (*set_irq)(struct vm *vm, unsigned gsi, int level);
    /* Optional eventfd paths (NULL or -ENOTSUP: not offered here; the board then uses bus_dispatch
     * and set_irq). ioeventfd: a guest write of len bytes at MMIO address addr signals eventfd fd
     * without a bus_dispatch (on: add, else remove). irqfd (irqchip_in_kernel only): a write to fd
     * raises GSI gsi, level-triggered: the accelerator lowers it at the guest's EOI and then
     * signals resample_fd, where the board raises it again while its source still holds it. */
    int (*ioeventfd)(struct vm *vm, uint64_t addr, unsigned len, int fd, bool on);
    int (*irqfd)(struct vm *vm, unsigned gsi, int fd, int resample_fd, bool on);
    /* An edge-triggered irqfd (resample_fd -1 above) on a GSI from ACCEL_MSI_GSI_BASE delivers the
     * message this routes it to: (addr, data) as signal_msi would (on: set or change, else drop).
     * 0 or -errno (-ENOTSUP: not offered; -EINVAL: gsi outside the range). Any thread. */
    int (*msi_route)(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data, bool on);
    /* Deliver a message-signalled interrupt (the address/data a PCI function would write) to the
     * in-kernel LAPICs (irqchip_in_kernel only). Any thread. */
    void (*signal_msi)(struct vm *vm, uint64_t addr, uint32_t data);
    /* A machine reset, vCPUs parked (machine/vm.c's vm_reset): vm_reset puts the accelerator's own
     * devices back (KVM's in-kernel PIC, IOAPIC, PIT), then vcpu_reset takes each vCPU to its reset
     * state: vCPU 0 to vm->boot_state, the others waiting for INIT/SIPI. 0 or -errno. */
    int (*vm_reset)(struct vm *vm);
    int (*vcpu_reset)(struct vcpu *v);
    /* Make a vCPU leave its run loop soon (any thread). */
    void (*vcpu_kick)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    void (*vm_destroy)(struct vm *vm);
    /* Snapshots (machine/snapshot.c), with the vCPU parked; NULL: not offered. 0 or -errno
     * (set_arch: -EINVAL when the state cannot be taken here, the VM's accel_err saying why). */
    int (*get_arch)(struct vcpu *v, struct vcpu_arch_state *a);
    int (*set_arch)(struct vcpu *v, const struct vcpu_arch_state *a);
    /* irqchip_in_kernel: its PIC, IOAPIC, PIT and LAPICs as the board's device models' sections
     * (machine/pc-state.c), so the file loads on either kind of platform. load: before vm_run; 0 or
     * -EINVAL with err. */
    int (*save_irqchip)(struct vm *vm, struct vms_writer *w);
    int (*load_irqchip)(struct vm *vm, struct vms_index *idx, char *err, size_t errlen);
    /* Debugging (any of these may be NULL: not offered). With the vCPU parked. */
    int (*get_fpu)(struct vcpu *v, struct fpu_state *f);
    int (*set_fpu)(struct vcpu *v, const struct fpu_state *f);
    /* 0, or -errno (-ENOTSUP: the host cannot; the VM's accel_err then says why). */
    int (*set_debug)(struct vcpu *v, const struct vcpu_debug *d);
    /* The host wrote guest RAM at [gpa, gpa+len) (a breakpoint): forget code translated from it. */
    void (*mem_written)(struct vm *vm, uint64_t gpa, uint64_t len);
    /* The guest-physical map of [gpa, gpa+len) changed: vm->mem.pam (mm/pam.h) now sends its
     * reads and writes elsewhere. Both its views are host memory, so the accelerator maps them (or
     * drops what it cached of the old ones, translated code included); writes that do not go to
     * host memory go to the MMIO bus. From the thread of the config write that changed it (a
     * vCPU's, whose next instruction must see the new map) or with vCPUs parked. 0 or -errno. */
    int (*mem_remap)(struct vm *vm, uint64_t gpa, uint64_t len);
    /* Live migration's dirty log (mm/dirty.h, vm->mem.dirty), vCPUs parked; NULL: not offered.
     * dirty_log: the accelerator's own tracking on or off (KVM_MEM_LOG_DIRTY_PAGES; the soft CPU
     * drops its TLB's write shortcuts). dirty_sync: what it logged since the last sync into
     * vm->mem.dirty, its tracking re-armed. 0 or -errno. */
    int (*dirty_log)(struct vm *vm, bool on);
    int (*dirty_sync)(struct vm *vm);
    /* --exit-stats: the accelerator's own figures, after the exit table (NULL: none). */
    void (*print_stats)(struct vm *vm, FILE *f);
};

/* Without an in-kernel irqchip, each vCPU reaches its userspace local APIC through struct vcpu's
 * lapic (the board fills it: machine/pc-soft.c; hw/apic.h says what each call does). None of these
 * is per instruction: the CPU polls the two lock-free flags and calls in only when one is up, on an
 * access to the APIC page (a TLB fill asks mmio_base), or on the APIC's MSRs and CR8. */
struct lapic_ops {
    uint64_t (*mmio_base)(struct lapic *l);
    uint64_t (*mmio_read)(struct lapic *l, uint64_t off, unsigned size);
    void (*mmio_write)(struct lapic *l, uint64_t off, uint64_t val, unsigned size);
    int (*msr_read)(struct lapic *l, uint32_t msr, uint64_t *val);    /* -EINVAL: #GP */
    int (*msr_write)(struct lapic *l, uint32_t msr, uint64_t val);
    uint8_t (*get_tpr)(struct lapic *l);                              /* CR8 */
    void (*set_tpr)(struct lapic *l, uint8_t cr8);
    bool (*has_interrupt)(struct lapic *l);
    int (*get_interrupt)(struct lapic *l);                            /* INTA: vector or -1 */
    unsigned (*take_events)(struct lapic *l, uint8_t *sipi_vector);   /* VCPU_EVENT_* */
};

/* Events a vCPU takes whatever RFLAGS.IF says (the values of hw/apic.h's LAPIC_EVENT_*). */
#define VCPU_EVENT_NMI      (1u << 0)
#define VCPU_EVENT_INIT     (1u << 1)
#define VCPU_EVENT_SIPI     (1u << 2)
#define VCPU_MSR_APIC_BASE   0x1b     /* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC registers */
#define VCPU_MSR_TSC_DEADLINE 0x6e0   /* go to msr_read/write */
#define VCPU_MSR_X2APIC_FIRST 0x800
#define VCPU_MSR_X2APIC_LAST  0x8ff
#define VCPU_APIC_BASE_EXTD  (1ull << 10)   /* x2APIC mode */

struct vcpu_lapic {
    struct lapic *dev;         /* NULL: none (KVM's is in the kernel) */
    const struct lapic_ops *ops;
    _Atomic bool *irq_hint;    /* lock-free: a maskable interrupt may be deliverable */
    _Atomic unsigned *events;  /* lock-free: VCPU_EVENT_* pending */
};

#endif
