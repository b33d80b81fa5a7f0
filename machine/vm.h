/* The machine: guest memory, buses, vCPUs and the accelerator that runs them. */
#ifndef VMON_MACHINE_VM_H
#define VMON_MACHINE_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "machine/vdev-config.h"
#include "machine/accel.h"
#include "accel/cpu-model.h"
#include "mm/bus.h"
#include "mm/memory.h"
#include "net/net.h"

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
    _Atomic int tid;           /* its thread's Linux id once it runs (QMP query-cpus-fast) */
    struct vcpu_debug_event debug_event;   /* why it last returned VCPU_DEBUG */
};

struct tsc;
struct evloop;
struct vm_migration;
struct dirty_log;
struct vms_writer;
struct blk;
struct vms_index;

/* The VM's run state (Firecracker's Running/Paused/Finished): a pause parks every vCPU thread
 * without ending the VM, a resume lets them go on; SHUTDOWN is final. */
enum vm_run_state { VM_STATE_RUNNING, VM_STATE_PAUSED, VM_STATE_SHUTDOWN };

/* Run-state events, named as QMP names them (QMP spec, events STOP/RESUME/SHUTDOWN/RESET/POWERDOWN). */
enum vm_event { VM_EVENT_STOP, VM_EVENT_RESUME, VM_EVENT_SHUTDOWN, VM_EVENT_RESET, VM_EVENT_POWERDOWN,
                VM_EVENT_MIGRATION /* reason: machine/migrate.h's enum vm_mig_status */ };

/* Why the VM shut down or reset: QEMU's ShutdownCause (qapi/run-state.json), the "reason" of QMP's
 * SHUTDOWN and RESET events; the guest-* causes are the guest's doing ("guest": true). */
enum vm_cause {
    VM_CAUSE_NONE, VM_CAUSE_HOST_ERROR, VM_CAUSE_HOST_QMP_QUIT, VM_CAUSE_HOST_QMP_SYSTEM_RESET,
    VM_CAUSE_HOST_SIGNAL, VM_CAUSE_HOST_UI, VM_CAUSE_GUEST_SHUTDOWN, VM_CAUSE_GUEST_RESET,
    VM_CAUSE_GUEST_PANIC,
};
const char *vm_cause_name(enum vm_cause c);      /* "guest-reset", ... */
static inline bool vm_cause_is_guest(enum vm_cause c)
{
    return c >= VM_CAUSE_GUEST_SHUTDOWN;
}

/* Who hears of run-state changes; called on the thread that caused the change (a vCPU, the event
 * loop, the main thread after a reset), so it must not block for long. reason: the enum vm_cause of
 * SHUTDOWN and RESET, else 0. Up to VM_MAX_LISTENERS (one per -qmp). */
struct vm_listener {
    void (*event)(void *opaque, enum vm_event ev, int reason);
    void *opaque;
};
#define VM_MAX_LISTENERS 8

/* The console's second user (the human monitor on Ctrl-A c); on the event-loop thread. */
struct vm_console_link {
    void (*input)(void *opaque, const uint8_t *buf, size_t n);   /* bytes typed while it has focus */
    void (*focus)(void *opaque, bool has_focus);                 /* Ctrl-A c moved the keyboard */
    bool focused;                  /* it has the keyboard from the start (-monitor stdio) */
    void *opaque;
};

/* The host debugger (the gdbstub): told when a vCPU stops for it (the VM is then pausing: wait
 * with vm_wait_parked) and when the VM ends. Called on vCPU threads; must not block. */
struct vm_debugger {
    void (*stopped)(void *opaque, int vcpu);
    void (*ended)(void *opaque);
    void *opaque;
};

/* A drive as the board opened it (query-block, info block). */
struct vm_drive_info {
    const char *format;        /* the block driver's name: "raw", "qcow2" */
    uint64_t size;             /* virtual size, bytes */
    int depth;                 /* backing files below it */
};

/* What the board offers the monitor (filled by machine/pc.c). */
struct vm_board_ops {
    void (*power_button)(struct vm *vm);   /* press the ACPI power button */
    void (*console_mux)(struct vm *vm, const struct vm_console_link *l);
    void (*console_write)(struct vm *vm, const char *buf, size_t n);   /* any thread */
    void (*reset)(struct vm *vm);          /* devices to their reset state (vCPUs parked) */
    void (*info_network)(struct vm *vm, FILE *out);   /* HMP info network; NULL: no NICs */
    int (*drive_info)(struct vm *vm, int i, struct vm_drive_info *d);  /* cfg.drives[i]; 0 or -ENOENT */
    int (*key)(struct vm *vm, const char *name, bool down);   /* a keyboard key; -EINVAL: no such key */
    /* Snapshots (machine/snapshot.h), vCPUs parked: each device writes its sections; load_state
     * takes them from the index (a missing or bad one: -EINVAL with err). */
    int (*save_state)(struct vm *vm, struct vms_writer *w, char *err, size_t errlen);
    int (*load_state)(struct vm *vm, struct vms_index *idx, char *err, size_t errlen);
    void (*state_loaded)(struct vm *vm);   /* after RAM is back: devices look at their queues */
    void (*quiesce)(struct vm *vm, bool on);   /* on: no device I/O in flight; off: go on (nests) */
    /* Live migration with the disks on shared storage (machine/migrate.h), disks quiesced: give:
     * flush and close every image so the destination may open it; else open them again (a source
     * whose migration failed; a destination once the stream is in). 0 or -errno with err. */
    int (*disks_handover)(struct vm *vm, bool give, char *err, size_t errlen);
    /* migrate -b, the disks copied with the migration (machine/migrate-disk.c), any thread: disk i's
     * (cfg.drives[i]) size in bytes (0: none), its log of written VIRTIO_BLK_CHUNK chunks (NULL: off),
     * and len bytes of it at off (0, -EINVAL outside it, -errno). */
    uint64_t (*disk_size)(struct vm *vm, int i);
    void (*disk_track)(struct vm *vm, int i, struct dirty_log *log);
    int (*disk_io)(struct vm *vm, int i, bool write, uint64_t off, void *buf, size_t len);
    /* The image behind cfg.drives[i] when the board saves its device with the VM (virtio-blk over
     * PCI or MMIO), else NULL: savevm's disks (machine/savevm.h). */
    struct blk *(*drive_image)(struct vm *vm, int i);
    /* The same for cfg.ide[i], an IDE drive (NULL: none, or no image). */
    struct blk *(*ide_image)(struct vm *vm, int i);
};

/* A disk the board attaches (--drive / -drive), one virtio-blk-pci each. */
#define VM_MAX_DRIVES 4
#define VM_MAX_QUEUES_PER_DISK 4   /* num-queues= (hw/virtio VIRTIO_MAX_QUEUES) */
struct vm_drive {
    char file[4096];
    char format[16];           /* "raw", "qcow2", or empty: probe as vmon img does */
    bool readonly;
    char id[32];               /* -drive id=, for -device virtio-blk-pci,drive=ID */
    bool attached;             /* if=virtio, or if=none claimed by a -device (else not opened) */
    bool snapshot;             /* snapshot=on / -snapshot: writes go to a temporary overlay */
    bool discard;              /* discard=unmap: the guest's discards reach the image */
    bool packed;               /* packed=on: offer packed virtqueues */
    unsigned num_queues;       /* num-queues=N (0: 1) */
    bool no_ioeventfd;         /* ioeventfd=off: notify writes always exit (measurements) */
    bool no_irqfd;             /* irqfd=off: MSI-X through signal_msi, not irqfd routes (measurements) */
    bool mmio;                 /* if=virtio-mmio: virtio-mmio (DSDT) instead of virtio-blk-pci */
    bool cdrom;                /* IDE: media=cdrom (-cdrom); file empty: a drive with no disc */
    int index;                 /* IDE: index= (-1: the first free) */
};

/* IDE drives (-hda..-hdd, -cdrom, -drive if=ide): index = channel * 2 + unit, as QEMU numbers them
 * (-cdrom is index 2, the secondary master). attached marks the used ones. */
#define VM_MAX_IDE 4

/* A NIC the board attaches (--net, -nic, -netdev + -device): one virtio-net-pci each. */
#define VM_MAX_NICS 4
struct vm_nic {
    struct net_config net;
    bool plugged;              /* a device uses the backend (a lone -netdev is refused) */
    bool romfile_set;          /* romfile= given ("" then means no ROM); else QEMU's efi-virtio.rom */
    char romfile[256];         /* the boot ROM firmware boots run (machine/pc-rom.c) */
};

struct vm_config {
    const char *kernel, *initrd, *cmdline;
    const char *bios;          /* -bios FILE: firmware when there is no kernel (NULL: SeaBIOS) */
    struct vm_drive drives[VM_MAX_DRIVES];
    int ndrives;
    bool snapshot;             /* -snapshot: every drive gets snapshot=on */
    bool nographic;            /* -nographic: the firmware prints on COM1 (no VGA mirror) */
    bool no_vga;               /* -vga none: a firmware boot without the VGA */
    struct vm_drive ide[VM_MAX_IDE];
    char boot_order[16];       /* -boot: QEMU's drive letters in order ("dc"); empty: the default */
    /* -device virtio-blk-pci / virtio-blk-device options (after the name, into argv), until
     * run_drives_finish hands their drive= the device's settings (blk_device_mmio: the second) */
    const char *blk_devices[VM_MAX_DRIVES];
    bool blk_device_mmio[VM_MAX_DRIVES];
    int nblk_devices;
    struct vm_nic nics[VM_MAX_NICS];
    int nnics;
    uint64_t mem_size;         /* bytes */
    int ncpus;
    struct cpu_topology topo;  /* -smp sockets/cores/threads; all 0: ncpus sockets of one core */
    const char *accel;         /* "kvm", "soft" or "auto": what accel_pick (accel/accel.h) is given */
    const char *cpu_features;  /* "-cx16,-xsave" style, or NULL */
    struct cpu_model cpu_model;   /* --cpu / -cpu (accel/cpu-model.h); name NULL: max */
    const char *trace;         /* --trace FILE (soft CPU), or NULL */
    bool no_jit;               /* --jit off: the soft CPU only interprets */
    uint64_t jit_cache;        /* --jit-cache / -accel tcg,tb-size: code cache bytes; 0: default */
    bool exit_stats;
    const char *name;          /* -name, or NULL */
#define VM_MAX_QMP 4
    const char *qmp[VM_MAX_QMP];   /* -qmp socket specs (monitor/server.h), as many as given */
    int nqmp;
    const char *monitor;       /* -monitor stdio or a socket spec, or NULL */
    const char *logfile;       /* -D FILE: vmon's messages once the VM runs, or NULL */
    bool no_reboot;            /* -no-reboot: a reset ends vmon (status 0) instead of rebooting */
    const char *pidfile;       /* -pidfile FILE, or NULL */
    bool daemonize;            /* -daemonize: detach once the VM is set up */
    struct vm_vdev_config vdev;   /* rng, virtio-serial, vsock, their chardevs (issue 14) */
    bool start_paused;         /* -S: the vCPUs wait for cont (monitor) or continue (gdb) */
    const char *gdb;           /* -gdb tcp::PORT | unix:PATH (-s: tcp::1234), or NULL */
    const char *restore;       /* --restore FILE: start from a saved state (machine/snapshot.h) */
    const char *incoming;      /* -incoming URI: start from a live migration's stream (machine/migrate.h) */
    const char *loadvm;        /* -loadvm TAG: start from the disks' internal snapshot TAG (machine/savevm.h) */
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
    _Atomic int leave;             /* non-zero: vCPUs leave their loops (a stop, or a pause) */
    _Atomic int run_state;         /* enum vm_run_state */
    int parked;                    /* vCPU threads parked by a pause (under pause_lock) */
    pthread_mutex_t pause_lock;    /* with pause_cond: pause/resume hand-shake with the vCPUs */
    pthread_cond_t pause_cond;
    struct vm_listener listeners[VM_MAX_LISTENERS];  /* run-state events (the monitors) */
    struct vm_debugger debugger;   /* the gdbstub, or none */
    _Atomic int reset_cause;       /* enum vm_cause of a reset the main thread is to do, or 0 */
    bool resume_after_reset;       /* the VM ran when the reset came (under pause_lock) */
    _Atomic int stop_cause;        /* enum vm_cause of the stop */
    const struct vm_board_ops *board;  /* what the board does for the monitor (machine/pc.c) */
    _Atomic int exit_code;         /* status for VCPU_DEBUG_EXIT */
    struct exit_stats stats;
    struct evloop *loop;           /* event-loop thread: host I/O and device timers */
    void *platform;                /* machine/pc.c's board: devices, IRQ routing */
    pthread_mutex_t stop_lock;     /* with stop_cond: the main thread sleeps until a stop reason */
    pthread_cond_t stop_cond;
    char accel_err[160];           /* the accelerator's reason for a failed vm_init, if it gave one */
    int signal_fd;                 /* signalfd for SIGINT/SIGTERM/SIGHUP, read on the event loop */
    struct vm_migration *migration;    /* machine/migrate.h's state, once a migration was asked for */
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
/* Print registers and the code bytes at RIP of a saved state to f. */
void vm_print_cpu_state(const struct vm *vm, const struct cpu_state *s, FILE *f);
/* Guest linear -> physical through s's page tables (SDM Vol. 3A, 4.3-4.5); -1 when not mapped. */
int vm_translate(const struct vm *vm, const struct cpu_state *s, uint64_t lin, uint64_t *phys);

/* The same walk with every level kept (machine/translate.c), for the monitor's info translate. */
enum vm_paging_mode { VM_PAGING_NONE, VM_PAGING_32, VM_PAGING_PAE, VM_PAGING_4LEVEL, VM_PAGING_5LEVEL };
struct vm_xlat_level {
    const char *name;          /* the SDM's: "PML5E", "PML4E", "PDPTE", "PDE", "PTE" */
    uint64_t table;            /* guest physical address of the table */
    unsigned index;            /* entry number in it */
    uint64_t entry_gpa;        /* table + index * size */
    uint64_t entry;            /* its value (0 when it could not be read) */
    unsigned size;             /* bytes: 4 (32-bit paging) or 8 */
    bool leaf;                 /* it maps the page */
};
struct vm_xlat {
    enum vm_paging_mode mode;
    uint64_t gva;
    int nlevels;               /* entries read, the failing one included */
    struct vm_xlat_level level[5];
    uint64_t gpa, page_size;   /* when mapped */
    const char *fault;         /* why not: "not present", "not canonical", ... */
};
/* 0 with x->gpa, or -EFAULT with x->fault and the levels read so far. */
int vm_translate_walk(const struct vm *vm, const struct cpu_state *s, uint64_t lin, struct vm_xlat *x);
const char *vm_paging_mode_name(enum vm_paging_mode m);
/* The names of l's set flags ("P", "RW", "US", "PWT", "PCD", "A", "D", "PS"/"PAT", "G", "XD"). */
int vm_xlat_flags(const struct vm_xlat *x, const struct vm_xlat_level *l, const char **names, int max);
/* vCPU idx's registers, read with the vCPUs parked (a running VM is paused quietly, no events). */
int vm_get_cpu_state(struct vm *vm, int idx, struct cpu_state *s);
/* Print the --exit-stats table. */
void vm_print_exit_stats(struct vm *vm, FILE *f);

/* End the VM for good (from any thread, e.g. a device's write handler): first reason wins, vCPUs are
 * kicked. vm_request_stop names the cause after the reason (POWEROFF: guest-shutdown, RESET:
 * guest-reset, CRASH: guest-panic, STOP: host-qmp-quit); vm_shutdown names it. */
void vm_request_stop(struct vm *vm, enum vcpu_exit reason, int exit_code);
void vm_shutdown(struct vm *vm, enum vcpu_exit reason, int exit_code, enum vm_cause cause);
/* A reset (any thread, a vCPU's included): under -no-reboot the VM ends as vm_shutdown(VCPU_RESET);
 * otherwise every vCPU is parked at once and the main thread resets the machine in place (devices,
 * the kernel loaded again, every vCPU to its reset state), sends RESET and lets the vCPUs go on (a
 * paused VM stays paused). 0, or -ESHUTDOWN after the VM ended. */
int vm_reset(struct vm *vm, enum vm_cause cause);
/* Add or remove a run-state listener; 0 or -ENOSPC. Before vm_run / after it returns. */
int vm_add_listener(struct vm *vm, struct vm_listener l);
void vm_remove_listener(struct vm *vm, void *opaque);
static inline bool vm_should_stop(struct vm *vm)
{
    return atomic_load_explicit(&vm->leave, memory_order_relaxed) != 0;
}
/* Pause and resume (any thread but a vCPU's): vm_pause returns once every started vCPU is parked.
 * 0, or -EBUSY when the VM is already paused / not paused, -ESHUTDOWN after it ended. */
/* The monitor's sendkey: press the keys named as QEMU's QKeyCode does ("ctrl", "alt", "delete")
 * in order, hold them hold_ms, release them in reverse. -EINVAL (nothing pressed) when one has no
 * key, -ENOTSUP without a keyboard, -ESHUTDOWN after the end. Blocks the caller for hold_ms. */
#define VM_MAX_KEYS 16         /* as the monitor commands say */
int vm_send_keys(struct vm *vm, const char *const *names, int n, unsigned hold_ms);
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
enum vm_run_state vm_run_state(struct vm *vm);
const char *vm_run_state_name(enum vm_run_state s);    /* QMP's RunState names */
/* For the host debugger (gdbstub/), with the VM paused: vm_wait_parked returns once every started
 * vCPU is parked (false: the VM ended). The others return 0 or -errno (-ENOTSUP: the accelerator
 * does not offer it). vm_write_phys tells the accelerator (translated code). */
bool vm_wait_parked(struct vm *vm);
/* Internal to machine/: vm.c's helpers vm-debug.c uses, and the vCPU thread's debug stop. */
bool vm_ended(struct vm *vm);
int vm_started_cpus(struct vm *vm);
void vm_kick_all(struct vm *vm);
void vm_debug_stop(struct vcpu *v);
int vm_set_cpu_state(struct vm *vm, int idx, const struct cpu_state *s);
int vm_get_fpu(struct vm *vm, int idx, struct fpu_state *f);
int vm_set_fpu(struct vm *vm, int idx, const struct fpu_state *f);
int vm_set_debug(struct vm *vm, int idx, const struct vcpu_debug *d);
int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, uint64_t len);
int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, uint64_t len);

/* The ACPI power button (QMP system_powerdown); -ENOTSUP where the board has none. */
int vm_powerdown(struct vm *vm);

/* Count one exit for --exit-stats; addr is the port or MMIO address (ignored for others). */
void vm_count_exit(struct vm *vm, enum exit_reason reason, uint64_t addr);

/* Guest port I/O and MMIO as every accelerator performs them: count, then dispatch. */
uint64_t vm_pio_in(struct vm *vm, uint16_t port, unsigned size);
void vm_pio_out(struct vm *vm, uint16_t port, uint64_t val, unsigned size);
uint64_t vm_mmio_read(struct vm *vm, uint64_t gpa, unsigned size);
void vm_mmio_write(struct vm *vm, uint64_t gpa, uint64_t val, unsigned size);

#endif
