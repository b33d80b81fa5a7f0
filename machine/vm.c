/* The machine's lifecycle: build it, run one thread per vCPU plus the event loop, stop it, and turn
 * the reason it stopped into vmon's exit status.
 *
 * Threads: the main thread builds the VM, then sleeps in vm_run until a stop reason is set; each vCPU
 * runs the accelerator's loop on its own thread; the event-loop thread serves stdin, device timers
 * and SIGINT/SIGTERM (a signalfd, so no signal handler touches VM state). */
#include "machine/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/eventloop.h"
#include "machine/migrate.h"
#include "machine/pc.h"
#include "machine/savevm.h"
#include "machine/snapshot.h"
#include "machine/vm-int.h"

void vm_emit(struct vm *vm, enum vm_event ev, int reason)
{
    for (int i = 0; i < VM_MAX_LISTENERS; i++)
        if (vm->listeners[i].event)
            vm->listeners[i].event(vm->listeners[i].opaque, ev, reason);
}

int vm_add_listener(struct vm *vm, struct vm_listener l)
{
    for (int i = 0; i < VM_MAX_LISTENERS; i++) {
        if (!vm->listeners[i].event) {
            vm->listeners[i] = l;
            return 0;
        }
    }
    return -ENOSPC;
}

void vm_remove_listener(struct vm *vm, void *opaque)
{
    for (int i = 0; i < VM_MAX_LISTENERS; i++)
        if (vm->listeners[i].opaque == opaque)
            vm->listeners[i] = (struct vm_listener){ 0 };
}

const char *vm_cause_name(enum vm_cause c)
{
    static const char *const names[] = {
        [VM_CAUSE_NONE] = "none", [VM_CAUSE_HOST_ERROR] = "host-error",
        [VM_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
        [VM_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
        [VM_CAUSE_HOST_SIGNAL] = "host-signal", [VM_CAUSE_HOST_UI] = "host-ui",
        [VM_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown", [VM_CAUSE_GUEST_RESET] = "guest-reset",
        [VM_CAUSE_GUEST_PANIC] = "guest-panic",
    };
    return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "none";
}

void vm_kick_all(struct vm *vm)
{
    for (int i = 0; i < vm->ncpus; i++)
        if (atomic_load(&vm->vcpus[i].started) && vm->accel->vcpu_kick)
            vm->accel->vcpu_kick(&vm->vcpus[i]);
}

bool vm_ended(struct vm *vm)
{
    return atomic_load(&vm->stop_reason) != VCPU_CONTINUE;
}

void vm_request_stop(struct vm *vm, enum vcpu_exit reason, int exit_code)
{
    enum vm_cause c = VM_CAUSE_HOST_QMP_QUIT;
    switch (reason) {
    case VCPU_POWEROFF: case VCPU_DEBUG_EXIT: c = VM_CAUSE_GUEST_SHUTDOWN; break;
    case VCPU_RESET: c = VM_CAUSE_GUEST_RESET; break;
    case VCPU_CRASH: c = VM_CAUSE_GUEST_PANIC; break;
    default: break;
    }
    vm_shutdown(vm, reason, exit_code, c);
}

void vm_shutdown(struct vm *vm, enum vcpu_exit reason, int exit_code, enum vm_cause cause)
{
    int expected = VCPU_CONTINUE;
    if (!atomic_compare_exchange_strong(&vm->stop_reason, &expected, (int)reason))
        return;                 /* the first reason wins */
    atomic_store(&vm->exit_code, exit_code);
    atomic_store(&vm->stop_cause, (int)cause);
    atomic_store(&vm->leave, 1);
    atomic_store(&vm->run_state, VM_STATE_SHUTDOWN);
    vm_emit(vm, VM_EVENT_SHUTDOWN, (int)cause);
    if (vm->debugger.ended)
        vm->debugger.ended(vm->debugger.opaque);
    pthread_mutex_lock(&vm->stop_lock);
    pthread_cond_broadcast(&vm->stop_cond);
    pthread_mutex_unlock(&vm->stop_lock);
    pthread_mutex_lock(&vm->pause_lock);   /* parked vCPUs wake and end */
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->pause_lock);
    vm_kick_all(vm);
}

const char *vm_run_state_name(enum vm_run_state s)
{
    switch (s) {
    case VM_STATE_RUNNING: return "running";
    case VM_STATE_PAUSED: return "paused";
    default: return "shutdown";
    }
}

enum vm_run_state vm_run_state(struct vm *vm)
{
    return (enum vm_run_state)atomic_load(&vm->run_state);
}

int vm_started_cpus(struct vm *vm)
{
    int n = 0;
    for (int i = 0; i < vm->ncpus; i++)
        n += atomic_load(&vm->vcpus[i].started);
    return n;
}

/* Lock order: pause_lock, then whatever the accelerator's kick takes. */
/* A reset in progress (vm_reset until the main thread is done) holds off pause and resume. */
static void wait_reset_locked(struct vm *vm)
{
    while (atomic_load(&vm->reset_cause) && !vm_ended(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
}

int vm_pause_quiet(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    wait_reset_locked(vm);
    int r = 0;
    if (vm_ended(vm))
        r = -ESHUTDOWN;
    else if (atomic_load(&vm->run_state) == VM_STATE_PAUSED)
        r = -EBUSY;
    if (r) {
        pthread_mutex_unlock(&vm->pause_lock);
        return r;
    }
    atomic_store(&vm->run_state, VM_STATE_PAUSED);
    atomic_store(&vm->leave, 1);
    vm_kick_all(vm);
    while (vm->parked < vm_started_cpus(vm) && !vm_ended(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    pthread_mutex_unlock(&vm->pause_lock);
    return 0;
}

int vm_pause(struct vm *vm)
{
    int r = vm_pause_quiet(vm);
    if (!r)
        vm_emit(vm, VM_EVENT_STOP, 0);
    return r;
}

int vm_resume_quiet(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    wait_reset_locked(vm);
    int r = 0;
    if (vm_ended(vm))
        r = -ESHUTDOWN;
    else if (atomic_load(&vm->run_state) != VM_STATE_PAUSED)
        r = -EBUSY;
    if (!r) {
        atomic_store(&vm->run_state, VM_STATE_RUNNING);
        atomic_store(&vm->leave, 0);
        pthread_cond_broadcast(&vm->pause_cond);
    }
    pthread_mutex_unlock(&vm->pause_lock);
    return r;
}

int vm_resume(struct vm *vm)
{
    int r = vm_resume_quiet(vm);
    if (!r)
        vm_emit(vm, VM_EVENT_RESUME, 0);
    return r;
}

int vm_get_cpu_state(struct vm *vm, int idx, struct cpu_state *s)
{
    if (idx < 0 || idx >= vm->ncpus)
        return -EINVAL;
    if (!vm->accel->get_state)
        return -ENOTSUP;
    memset(s, 0, sizeof(*s));
    bool paused_here = vm_pause_quiet(vm) == 0;   /* -EBUSY: already paused; -ESHUTDOWN: ended */
    int r = vm->accel->get_state(&vm->vcpus[idx], s);
    if (paused_here)
        vm_resume_quiet(vm);
    return r;
}

int vm_powerdown(struct vm *vm)
{
    if (!vm->board || !vm->board->power_button)
        return -ENOTSUP;
    if (vm_ended(vm))
        return -ESHUTDOWN;
    vm_emit(vm, VM_EVENT_POWERDOWN, 0);
    vm->board->power_button(vm);
    return 0;
}

int vm_send_keys(struct vm *vm, const char *const *names, int n, unsigned hold_ms)
{
    if (!vm->board || !vm->board->key)
        return -ENOTSUP;
    if (vm_ended(vm))
        return -ESHUTDOWN;
    if (n < 1 || n > VM_MAX_KEYS)
        return -EINVAL;
    int i;
    for (i = 0; i < n; i++)
        if (vm->board->key(vm, names[i], true) < 0)
            break;
    if (i == n && hold_ms) {
        struct timespec ts = { hold_ms / 1000, (long)(hold_ms % 1000) * 1000000 };
        nanosleep(&ts, NULL);
    }
    for (int j = i - 1; j >= 0; j--)
        vm->board->key(vm, names[j], false);
    return i == n ? 0 : -EINVAL;
}

/* A vCPU whose loop returned VCPU_STOP for a pause waits here until resumed (true: run again) or
 * the VM ends (false). On the vCPU's thread. */
static bool vcpu_park(struct vcpu *v)
{
    struct vm *vm = v->vm;
    pthread_mutex_lock(&vm->pause_lock);
    vm->parked++;
    pthread_cond_broadcast(&vm->pause_cond);
    while (atomic_load(&vm->run_state) == VM_STATE_PAUSED && !vm_ended(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    vm->parked--;
    pthread_mutex_unlock(&vm->pause_lock);
    return !vm_ended(vm);
}

/* --exit-stats: exits by reason, and per-address counts in a small open-addressed table keyed by
 * address (MMIO keys get bit 63 so port 0x3f8 and GPA 0x3f8 stay apart). Only the report at exit
 * reads them, so without --exit-stats nothing is counted: the atomic add would otherwise bounce one
 * cache line between all vCPU threads on every exit. */
void vm_count_exit(struct vm *vm, enum exit_reason reason, uint64_t addr)
{
    if (!vm->cfg.exit_stats)
        return;
    atomic_fetch_add_explicit(&vm->stats.by_reason[reason], 1, memory_order_relaxed);
    if (reason != EXIT_IO && reason != EXIT_MMIO)
        return;
    uint64_t key = (addr | (reason == EXIT_MMIO ? 1ull << 63 : 0)) + 1;   /* 0 means free */
    unsigned h = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 58);          /* 6 bits: 64 slots */
    for (unsigned i = 0; i < EXIT_STATS_ADDRS; i++) {
        unsigned j = (h + i) % EXIT_STATS_ADDRS;
        uint64_t cur = atomic_load_explicit(&vm->stats.addr[j].addr, memory_order_relaxed);
        if (cur == 0) {
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&vm->stats.addr[j].addr, &zero, key))
                cur = key;
            else
                cur = zero;
        }
        if (cur == key) {
            atomic_fetch_add_explicit(&vm->stats.addr[j].count, 1, memory_order_relaxed);
            return;
        }
    }
    /* The table is full: the access stays counted by reason only. */
}

uint64_t vm_pio_in(struct vm *vm, uint16_t port, unsigned size)
{
    uint64_t val;
    vm_count_exit(vm, EXIT_IO, port);
    bus_read(&vm->pio, port, size, &val);
    return val;
}

void vm_pio_out(struct vm *vm, uint16_t port, uint64_t val, unsigned size)
{
    vm_count_exit(vm, EXIT_IO, port);
    bus_write(&vm->pio, port, val, size);
}

uint64_t vm_mmio_read(struct vm *vm, uint64_t gpa, unsigned size)
{
    uint64_t val;
    vm_count_exit(vm, EXIT_MMIO, gpa);
    bus_read(&vm->mmio, gpa, size, &val);
    return val;
}

void vm_mmio_write(struct vm *vm, uint64_t gpa, uint64_t val, unsigned size)
{
    vm_count_exit(vm, EXIT_MMIO, gpa);
    bus_write(&vm->mmio, gpa, val, size);
}

/* The topology -smp gave (or ncpus sockets of one core) and the IOAPIC's id after the last CPU's
 * APIC id; xAPIC ids stop at 254 (0xff is the broadcast). */
static int vm_topology(struct vm *vm, char *err, size_t errlen)
{
    struct cpu_topology t = vm->cfg.topo;
    if (!t.sockets && !t.cores && !t.threads)
        t = (struct cpu_topology){ (unsigned)vm->ncpus, 1, 1 };
    if (!t.sockets || !t.cores || !t.threads || t.sockets * t.cores * t.threads != (unsigned)vm->ncpus) {
        snprintf(err, errlen, "-smp: sockets (%u) * cores (%u) * threads (%u) is not the %d CPUs",
                 t.sockets, t.cores, t.threads, vm->ncpus);
        return -EINVAL;
    }
    vm->topo = t;
    uint32_t last = cpu_topo_apic_id(&t, vm->ncpus - 1);   /* ids grow with the index */
    if (last >= 254) {
        snprintf(err, errlen, "-smp: APIC id %u is past the 253 an xAPIC machine with an IOAPIC can use",
                 last);
        return -EINVAL;
    }
    vm->ioapic_id = (uint8_t)(last + 1);
    return 0;
}

int vm_init(struct vm *vm, const struct vm_config *cfg, const struct accel_ops *accel, char *err,
            size_t errlen)
{
    memset(vm, 0, sizeof(*vm));
    vm->cfg = *cfg;
    vm->signal_fd = -1;
    pthread_mutex_init(&vm->stop_lock, NULL);
    pthread_cond_init(&vm->stop_cond, NULL);
    pthread_mutex_init(&vm->pause_lock, NULL);
    pthread_cond_init(&vm->pause_cond, NULL);
    if (cfg->ncpus < 1 || cfg->ncpus > VM_MAX_CPUS) {   /* vcpus[] is a fixed array */
        snprintf(err, errlen, "%d vCPUs: not from 1 to %d", cfg->ncpus, VM_MAX_CPUS);
        return -EINVAL;
    }
    vm->ncpus = cfg->ncpus;
    if (!vm->cfg.cpu_model.name)
        cpu_model_default(CPU_VENDOR_INTEL, &vm->cfg.cpu_model);
    if (vm_topology(vm, err, errlen) < 0)
        return -EINVAL;
    for (int i = 0; i < vm->ncpus; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].id = i;
        vm->vcpus[i].apic_id = cpu_topo_apic_id(&vm->topo, i);
    }
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");

    /* SIGINT/SIGTERM/SIGHUP go to a signalfd the event loop reads. Blocked from here on, before the
     * terminal turns raw and before any thread exists (all inherit the mask), so none of them can
     * kill vmon with the terminal left raw. */
    sigset_t stop_sigs;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
    vm->signal_fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (vm->signal_fd < 0) {
        int e = errno;         /* read before snprintf, which may change it */
        snprintf(err, errlen, "signalfd: %s", strerror(e));
        return -e;
    }

    vm->accel = accel;
    if (cfg->trace && !accel->traces) {
        snprintf(err, errlen, "--trace %s: only the software CPU traces instructions (--accel soft)",
                 cfg->trace);
        return -EINVAL;
    }
    int r = guest_mem_init(&vm->mem, cfg->mem_size);
    if (r < 0) {
        snprintf(err, errlen, "guest RAM of %" PRIu64 " bytes: %s", cfg->mem_size, strerror(-r));
        return r;
    }
    vm->loop = evloop_new();
    if (!vm->loop) {
        int e = errno;
        snprintf(err, errlen, "event loop: %s", strerror(e));
        return -e;
    }
    r = vm->accel->vm_init(vm);
    if (r < 0) {
        /* -EINVAL here means the configuration asks for what the accelerator cannot do. */
        snprintf(err, errlen, "%s: %s", vm->accel->name,
                 vm->accel_err[0] ? vm->accel_err : strerror(-r));
        return r;
    }
    for (int i = 0; i < vm->mem.nslots; i++) {
        r = vm->accel->map_slot(vm, &vm->mem.slots[i]);
        if (r < 0) {
            snprintf(err, errlen, "%s: mapping RAM slot %d: %s", vm->accel->name, i, strerror(-r));
            return r == -EINVAL ? -EIO : r;
        }
    }
    return pc_init(vm, err, errlen);
}

/* SIGINT/SIGTERM/SIGHUP arrive here through a signalfd, on the event-loop thread. */
static void vm_on_signal(void *opaque)
{
    struct vm *vm = opaque;
    struct signalfd_siginfo si;
    if (read(vm->signal_fd, &si, sizeof(si)) != sizeof(si))
        return;
    fprintf(stderr, "vmon: terminating on signal %u\n", si.ssi_signo);
    vm_shutdown(vm, VCPU_STOP, 0, VM_CAUSE_HOST_SIGNAL);
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    struct vm *vm = v->vm;
    atomic_store(&v->tid, (int)gettid());
    int r;
    for (;;) {
        r = vm->accel->vcpu_run(v);
        if (r == VCPU_DEBUG) {
            vm_debug_stop(v);  /* machine/vm-debug.c: pause the VM, tell the debugger */
            r = VCPU_STOP;
        }
        if (r == VCPU_RESET && !vm->cfg.no_reboot && vm_reset(vm, VM_CAUSE_GUEST_RESET) == 0)
            r = VCPU_STOP;     /* park until the main thread has reset the machine */
        if (r != VCPU_STOP || vm_ended(vm) || !vcpu_park(v))
            break;
    }
    if (r == VCPU_CRASH)
        vm_dump_cpu(v);
    if (r != VCPU_CONTINUE && r != VCPU_STOP)
        vm_request_stop(vm, (enum vcpu_exit)r, atomic_load(&vm->exit_code));
    else
        vm_request_stop(vm, VCPU_STOP, 0);   /* a vCPU that leaves ends the VM: never a hang */
    return NULL;
}

static int exit_status(struct vm *vm)
{
    switch (atomic_load(&vm->stop_reason)) {
    case VCPU_DEBUG_EXIT:
        return atomic_load(&vm->exit_code);
    case VCPU_CRASH:
        return 1;
    default:
        return 0;
    }
}

int vm_run(struct vm *vm)
{
    if (evloop_add_fd(vm->loop, vm->signal_fd, vm_on_signal, vm) < 0) {
        fprintf(stderr, "vmon: signalfd: %s\n", strerror(errno));
        return 1;
    }

    for (int i = 0; i < vm->ncpus; i++) {
        int r = vm->accel->vcpu_init(&vm->vcpus[i]);
        if (r < 0) {
            fprintf(stderr, "vmon: %s: vCPU %d: %s\n", vm->accel->name, i, strerror(-r));
            return 1;
        }
    }
    if (vm->cfg.restore) {     /* --restore: over the vCPUs' and devices' initial state */
        char err[512];
        int r = vm_restore_state(vm, vm->cfg.restore, err, sizeof(err));
        if (r < 0) {
            fprintf(stderr, "vmon: --restore %s\n", err);
            return r == -EINVAL ? 2 : 1;
        }
    }
    if (vm->cfg.incoming) {    /* -incoming: over them, from the source's stream */
        char err[512];
        int r = vm_migrate_incoming(vm, vm->cfg.incoming, err, sizeof(err));
        if (r < 0) {
            fprintf(stderr, "vmon: -incoming %s\n", err);
            return r == -EINVAL ? 2 : 1;
        }
    }
    if (vm->cfg.loadvm) {      /* -loadvm TAG: the disks and the VM from an internal snapshot */
        char err[512];
        int r = vm_loadvm_start(vm, vm->cfg.loadvm, err, sizeof(err));
        if (r < 0) {
            fprintf(stderr, "vmon: -loadvm %s: %s\n", vm->cfg.loadvm, err);
            return r == -EINVAL ? 2 : 1;
        }
    }
    if (evloop_start(vm->loop) < 0) {
        fprintf(stderr, "vmon: event loop thread: %s\n", strerror(errno));
        return 1;
    }
    if (vm->cfg.start_paused && vm_run_state(vm) == VM_STATE_RUNNING) {   /* -S: they park at once */
        atomic_store(&vm->run_state, VM_STATE_PAUSED);
        atomic_store(&vm->leave, 1);
    }
    int started = 0;
    for (int i = 0; i < vm->ncpus; i++) {
        int r = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
        if (r) {
            fprintf(stderr, "vmon: vCPU %d thread: %s\n", i, strerror(r));
            vm_request_stop(vm, VCPU_CRASH, 1);
            break;
        }
        char name[16];
        snprintf(name, sizeof(name), "vcpu%d", i);
        pthread_setname_np(vm->vcpus[i].thread, name);
        atomic_store(&vm->vcpus[i].started, true);
        started++;
    }
    pthread_mutex_lock(&vm->stop_lock);
    while (!vm_ended(vm)) {
        if (atomic_load(&vm->reset_cause)) {   /* resets run here, off every vCPU and the loop */
            pthread_mutex_unlock(&vm->stop_lock);
            vm_do_reset(vm);
            pthread_mutex_lock(&vm->stop_lock);
            continue;
        }
        pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
    }
    pthread_mutex_unlock(&vm->stop_lock);
    /* A stop requested before a vCPU was marked started missed its kick: kick them all again. */
    for (int i = 0; i < started && vm->accel->vcpu_kick; i++)
        vm->accel->vcpu_kick(&vm->vcpus[i]);
    for (int i = 0; i < started; i++) {
        pthread_join(vm->vcpus[i].thread, NULL);
        atomic_store(&vm->vcpus[i].started, false);
    }
    vm_migrate_fini(vm);       /* a migration thread ends before the monitors it tells go */
    evloop_stop(vm->loop);
    if (vm->cfg.exit_stats)
        vm_print_exit_stats(vm, stderr);
    return exit_status(vm);
}

void vm_destroy(struct vm *vm)
{
    vm_migrate_fini(vm);
    if (vm->loop)
        evloop_stop(vm->loop);
    pc_destroy(vm);
    if (vm->accel) {
        for (int i = 0; i < vm->ncpus; i++)
            if (vm->accel->vcpu_destroy)
                vm->accel->vcpu_destroy(&vm->vcpus[i]);
        if (vm->accel->vm_destroy)
            vm->accel->vm_destroy(vm);
    }
    evloop_free(vm->loop);
    vm->loop = NULL;
    guest_mem_destroy(&vm->mem);
    if (vm->signal_fd >= 0)
        close(vm->signal_fd);
    pthread_cond_destroy(&vm->stop_cond);
    pthread_mutex_destroy(&vm->stop_lock);
    pthread_cond_destroy(&vm->pause_cond);
    pthread_mutex_destroy(&vm->pause_lock);
}
