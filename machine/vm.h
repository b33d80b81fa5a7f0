/* The machine: guest memory, buses, vCPUs and the accelerator that runs them. */
#ifndef VMON_MACHINE_VM_H
#define VMON_MACHINE_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "machine/accel.h"
#include "accel/cpu-model.h"
#include "mm/bus.h"
#include "mm/memory.h"

#define VM_MAX_CPUS 64

struct vcpu {
    struct vm *vm;
    int id;                    /* index in vm->vcpus */
    uint32_t apic_id;          /* from vm->topo (accel/cpu-model.h's packing): LAPIC, CPUID, MADT */
    pthread_t thread;
    void *accel;               /* the accelerator's per-vCPU state */
    /* Set by the board when the accelerator has no in-kernel irqchip (machine/pc-soft.c): */
    struct vcpu_lapic lapic;   /* its userspace local APIC */
    const struct tsc *tsc;     /* the guest TSC (util/tsc.h), for rdtsc and CPUID 0x15/0x16 */
    _Atomic bool started;      /* its thread runs: vm_request_stop may kick it */
};

struct tsc;
struct evloop;

/* A disk the board attaches (--drive / -drive), one virtio-blk-pci each. */
#define VM_MAX_DRIVES 4
struct vm_drive {
    char file[4096];
    char format[16];           /* "raw", "qcow2", or empty: probe as vmon img does */
    bool readonly;
};

struct vm_config {
    const char *kernel, *initrd, *cmdline;
    struct vm_drive drives[VM_MAX_DRIVES];
    int ndrives;
    uint64_t mem_size;         /* bytes */
    int ncpus;
    struct cpu_topology topo;  /* -smp sockets/cores/threads; all 0: ncpus sockets of one core */
    const char *accel;         /* "kvm", "soft" or "auto": what accel_pick (accel/accel.h) is given */
    const char *cpu_features;  /* "-cx16,-xsave" style, or NULL */
    struct cpu_model cpu_model;   /* --cpu / -cpu (accel/cpu-model.h); name NULL: max */
    const char *trace;         /* --trace FILE (soft CPU), or NULL */
    bool no_jit;               /* --jit off: the soft CPU only interprets */
    bool exit_stats;
};

struct exit_stats {
    _Atomic uint64_t by_reason[EXIT_REASON_COUNT];
    /* Per-address counts; a small open table, addresses beyond it are lumped in "other". */
#define EXIT_STATS_ADDRS 64
    struct { _Atomic uint64_t addr; _Atomic uint64_t count; _Atomic int is_mmio; } addr[EXIT_STATS_ADDRS];
};

struct vm {
    struct vm_config cfg;
    const struct accel_ops *accel;
    void *accel_state;         /* the accelerator's per-VM state */
    struct guest_mem mem;
    struct bus pio, mmio;
    int ncpus;
    struct cpu_topology topo;      /* cfg.topo, completed */
    uint8_t ioapic_id;             /* the APIC id after the CPUs' (the MADT and MP table say so) */
    struct vcpu vcpus[VM_MAX_CPUS];
    struct cpu_state boot_state;   /* what the loader wants vCPU 0 to start with */
    _Atomic int stop_reason;       /* enum vcpu_exit, VCPU_CONTINUE while running */
    _Atomic int exit_code;         /* status for VCPU_DEBUG_EXIT */
    struct exit_stats stats;
    struct evloop *loop;           /* event-loop thread: host I/O and device timers */
    void *platform;                /* machine/pc.c's board: devices, IRQ routing */
    pthread_mutex_t stop_lock;     /* with stop_cond: the main thread sleeps until a stop reason */
    pthread_cond_t stop_cond;
    char accel_err[160];           /* the accelerator's reason for a failed vm_init, if it gave one */
    int signal_fd;                 /* signalfd for SIGINT/SIGTERM/SIGHUP, read on the event loop */
};

/* Lifecycle (machine/vm.c), on the main thread: vm_init builds the machine (RAM, buses, the given
 * accelerator, devices); the caller then loads the kernel (boot_load) and calls vm_run, which starts
 * the vCPU and event-loop threads, waits for a stop reason and returns vmon's exit status.
 * vm_init returns 0, -EINVAL for a bad configuration (the caller exits 2) or another -errno;
 * err holds one line ("<what>: <why>") either way. */
int vm_init(struct vm *vm, const struct vm_config *cfg, const struct accel_ops *accel, char *err,
            size_t errlen);
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Print vCPU v's registers and the bytes at its RIP to stderr (after a crash). */
void vm_dump_cpu(struct vcpu *v);
/* Print the --exit-stats table. */
void vm_print_exit_stats(struct vm *vm, FILE *f);

/* End the VM (from any thread, e.g. a device's write handler): first reason wins, vCPUs are kicked. */
void vm_request_stop(struct vm *vm, enum vcpu_exit reason, int exit_code);
static inline bool vm_should_stop(struct vm *vm)
{
    return atomic_load_explicit(&vm->stop_reason, memory_order_relaxed) != VCPU_CONTINUE;
}
/* Count one exit for --exit-stats; addr is the port or MMIO address (ignored for others). */
void vm_count_exit(struct vm *vm, enum exit_reason reason, uint64_t addr);

/* Guest port I/O and MMIO as every accelerator performs them: count, then dispatch. */
uint64_t vm_pio_in(struct vm *vm, uint16_t port, unsigned size);
void vm_pio_out(struct vm *vm, uint16_t port, uint64_t val, unsigned size);
uint64_t vm_mmio_read(struct vm *vm, uint64_t gpa, unsigned size);
void vm_mmio_write(struct vm *vm, uint64_t gpa, uint64_t val, unsigned size);

#endif
