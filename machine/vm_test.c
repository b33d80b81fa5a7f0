/* The VM lifecycle on a fake accelerator (no KVM needed): vCPU threads, stop reasons and the exit
 * status they map to, the crash dump, --exit-stats. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "machine/vm.h"

/* What each fake vCPU does when it runs. */
enum fake_mode { FAKE_CRASH, FAKE_DEBUG_EXIT, FAKE_POWEROFF_FROM_CPU2, FAKE_SPIN };
static enum fake_mode mode;
static _Atomic int runs, kicks;

static bool fake_available(const char **why) { (void)why; return true; }
static int fake_vm_init(struct vm *vm) { (void)vm; return 0; }
static int fake_map_slot(struct vm *vm, const struct mem_slot *s) { (void)vm; (void)s; return 0; }
static int fake_vcpu_init(struct vcpu *v) { (void)v; return 0; }

static int fake_vcpu_run(struct vcpu *v)
{
    runs++;
    switch (mode) {
    case FAKE_CRASH:
        /* The others run on until kicked: one leaving on its own could stop the VM first (the first
         * reason wins) while vCPU 0 is still dumping its state, and the status would be 0. */
        if (v->id == 0)
            return VCPU_CRASH;
        break;
    case FAKE_DEBUG_EXIT:
        if (v->id == 0)
            vm_pio_out(v->vm, 0xf4, 0x21, 1);   /* the guest writes 0x21: status 0x43 */
        break;
    case FAKE_POWEROFF_FROM_CPU2:
        if (v->id == 2)
            return VCPU_POWEROFF;
        break;
    case FAKE_SPIN:
        break;
    }
    while (!vm_should_stop(v->vm))            /* a vCPU "running" until something stops the VM */
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    return VCPU_STOP;
}

/* A vCPU 0 stopped in 64-bit mode without paging... at a hlt in RAM. */
static int fake_get_state(struct vcpu *v, struct cpu_state *s)
{
    memset(s, 0, sizeof(*s));
    s->rip = 0x2000;
    s->gpr[R_RAX] = 0x1234;
    s->cr0 = 0x11;
    s->seg[SEG_CS].selector = 0x10;
    (void)v;
    return 0;
}

static void fake_kick(struct vcpu *v) { (void)v; kicks++; }

/* A reset must find every vCPU parked: count resets and any vCPU seen running meanwhile. */
static _Atomic int vm_resets, vcpu_resets, reset_while_running;
static int fake_vm_reset(struct vm *vm)
{
    vm_resets++;
    reset_while_running += vm->parked != vm->ncpus;
    return 0;
}
static int fake_vcpu_reset(struct vcpu *v) { (void)v; vcpu_resets++; return 0; }

/* An in-kernel irqchip, as far as the board knows: it wires no userspace platform for it. */
static const struct accel_ops fake_ops = {
    .name = "fake", .irqchip_in_kernel = true, .available = fake_available, .vm_init = fake_vm_init,
    .map_slot = fake_map_slot, .vcpu_init = fake_vcpu_init, .vcpu_run = fake_vcpu_run,
    .get_state = fake_get_state, .vcpu_kick = fake_kick, .vm_reset = fake_vm_reset,
    .vcpu_reset = fake_vcpu_reset,
};

/* Run a VM of ncpus fake vCPUs; stderr is captured into err. */
static int run_vm(int ncpus, bool exit_stats, char *err, size_t errlen)
{
    static struct vm vm;
    struct vm_config cfg = { .mem_size = 4 << 20, .ncpus = ncpus, .accel = "fake",
                             .exit_stats = exit_stats };
    char why[256];
    int saved_err = dup(STDERR_FILENO), saved_in = dup(STDIN_FILENO);
    FILE *cap = tmpfile();
    int devnull = open("/dev/null", O_RDONLY);
    dup2(fileno(cap), STDERR_FILENO);
    dup2(devnull, STDIN_FILENO);
    close(devnull);
    runs = kicks = 0;
    assert_int_equal(vm_init(&vm, &cfg, &fake_ops, why, sizeof(why)), 0);
    static const uint8_t hlt_code[] = { 0xf4, 0x90 };
    guest_mem_write(&vm.mem, 0x2000, hlt_code, sizeof(hlt_code));
    int status = vm_run(&vm);
    vm_destroy(&vm);
    fflush(stderr);
    dup2(saved_err, STDERR_FILENO);
    dup2(saved_in, STDIN_FILENO);
    close(saved_err);
    close(saved_in);
    rewind(cap);
    size_t n = fread(err, 1, errlen - 1, cap);
    err[n] = 0;
    fclose(cap);
    return status;
}

static void test_crash_dumps_and_exits_1(void **state)
{
    (void)state;
    char err[4096];
    mode = FAKE_CRASH;
    assert_int_equal(run_vm(2, false, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "vCPU 0 state"));
    assert_non_null(strstr(err, "RAX=0000000000001234"));
    assert_non_null(strstr(err, "RIP=0000000000002000"));
    assert_non_null(strstr(err, "code at 0000000000002000: f4 90 00"));
}

static void test_debug_exit_status(void **state)
{
    (void)state;
    char err[4096];
    mode = FAKE_DEBUG_EXIT;
    assert_int_equal(run_vm(3, true, err, sizeof(err)), (0x21 << 1) | 1);
    assert_int_equal(runs, 3);
    assert_non_null(strstr(err, "exit stats (fake): 1 exits"));
    assert_non_null(strstr(err, "pio 0xf4"));
}

static void test_any_vcpu_ends_the_vm(void **state)
{
    (void)state;
    char err[4096];
    mode = FAKE_POWEROFF_FROM_CPU2;
    assert_int_equal(run_vm(4, false, err, sizeof(err)), 0);
    assert_int_equal(runs, 4);
    assert_true(kicks >= 3);       /* the others were kicked out of their loops */
}

static void test_exit_stats_table(void **state)
{
    (void)state;
    static struct vm vm;
    memset(&vm, 0, sizeof(vm));
    vm.cfg.exit_stats = true;
    for (int i = 0; i < 5; i++)
        vm_count_exit(&vm, EXIT_IO, 0x3f8);
    vm_count_exit(&vm, EXIT_IO, 0x80);
    for (int i = 0; i < 3; i++)
        vm_count_exit(&vm, EXIT_MMIO, 0x3f8);   /* same number, other space: its own row */
    vm_count_exit(&vm, EXIT_HLT, 0);
    for (uint64_t a = 0; a < 200; a++)         /* more addresses than the table holds */
        vm_count_exit(&vm, EXIT_MMIO, 0xd0000000 + a * 4);
    char buf[8192];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    vm_print_exit_stats(&vm, f);
    fclose(f);
    assert_non_null(strstr(buf, "210 exits"));
    assert_non_null(strstr(buf, "io                          6"));
    assert_non_null(strstr(buf, "mmio                      203"));
    assert_non_null(strstr(buf, "hlt                         1"));
    /* Rows by count, highest first. */
    char *pio = strstr(buf, "pio 0x3f8"), *mmio = strstr(buf, "mmio 0x3f8"), *p80 = strstr(buf, "pio 0x80 ");
    assert_non_null(pio);
    assert_non_null(mmio);
    assert_non_null(p80);
    assert_true(pio < mmio && mmio < p80);
}

/* Pause and resume with real vCPU threads: a pause parks all of them (no vCPU runs while paused),
 * a resume lets them go on, a stop while paused ends the VM; each change is one event. */
static enum vm_event events[16];
static int reasons[16];
static _Atomic int nevents;

static void record_event(void *opaque, enum vm_event ev, int reason)
{
    (void)opaque;
    if (nevents < 16) {
        reasons[nevents] = reason;
        events[nevents++] = ev;
    }
}

static void *pause_driver(void *arg)
{
    struct vm *vm = arg;
    while (runs < vm->ncpus)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_int_equal(vm_pause(vm), 0);
    assert_int_equal(vm_run_state(vm), VM_STATE_PAUSED);
    assert_int_equal(vm->parked, vm->ncpus);
    assert_int_equal(vm_pause(vm), -EBUSY);
    int before = runs;
    nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
    assert_int_equal(runs, before);            /* parked: nobody re-entered the run loop */
    struct cpu_state st;
    assert_int_equal(vm_get_cpu_state(vm, 1, &st), 0);
    assert_int_equal(vm_resume(vm), 0);
    while (runs < before + vm->ncpus)          /* each vCPU runs again */
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_int_equal(vm_resume(vm), -EBUSY);
    assert_int_equal(vm_get_cpu_state(vm, 0, &st), 0);   /* a quiet pause: no events */
    assert_int_equal(vm_run_state(vm), VM_STATE_RUNNING);
    assert_int_equal(vm_pause(vm), 0);
    vm_request_stop(vm, VCPU_STOP, 0);         /* ends a paused VM */
    assert_int_equal(vm_resume(vm), -ESHUTDOWN);
    return NULL;
}

static void test_pause_resume(void **state)
{
    (void)state;
    static struct vm vm;
    struct vm_config cfg = { .mem_size = 4 << 20, .ncpus = 3, .accel = "fake" };
    char why[256];
    int saved_in = dup(STDIN_FILENO), devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    close(devnull);
    mode = FAKE_SPIN;
    runs = kicks = nevents = 0;
    assert_int_equal(vm_init(&vm, &cfg, &fake_ops, why, sizeof(why)), 0);
    assert_int_equal(vm_add_listener(&vm, (struct vm_listener){ record_event, NULL }), 0);
    pthread_t t;
    pthread_create(&t, NULL, pause_driver, &vm);
    assert_int_equal(vm_run(&vm), 0);
    pthread_join(t, NULL);
    assert_int_equal(vm_run_state(&vm), VM_STATE_SHUTDOWN);
    vm_destroy(&vm);
    dup2(saved_in, STDIN_FILENO);
    close(saved_in);
    assert_int_equal(nevents, 4);
    assert_int_equal(events[0], VM_EVENT_STOP);
    assert_int_equal(events[1], VM_EVENT_RESUME);
    assert_int_equal(events[2], VM_EVENT_STOP);
    assert_int_equal(events[3], VM_EVENT_SHUTDOWN);
    assert_int_equal(vm_powerdown(&vm), -ENOTSUP);   /* no board after vm_destroy */
}

static void wait_for(_Atomic int *what, int n)
{
    while (*what < n)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
}

/* vm_reset in place: every vCPU parked, the accelerator's resets called once per VM and vCPU, RESET
 * with its cause, the vCPUs run again; a paused VM stays paused through a reset; quit ends it. */
static void *reset_driver(void *arg)
{
    struct vm *vm = arg;
    wait_for(&runs, vm->ncpus);
    assert_int_equal(vm_reset(vm, VM_CAUSE_GUEST_RESET), 0);
    wait_for(&nevents, 1);
    assert_int_equal(events[0], VM_EVENT_RESET);
    assert_int_equal(reasons[0], VM_CAUSE_GUEST_RESET);
    assert_int_equal(vm_resets, 1);
    assert_int_equal(vcpu_resets, vm->ncpus);
    wait_for(&runs, 2 * vm->ncpus);            /* each vCPU entered its loop again */
    assert_int_equal(vm_run_state(vm), VM_STATE_RUNNING);
    assert_int_equal(vm_pause(vm), 0);         /* STOP */
    assert_int_equal(vm_reset(vm, VM_CAUSE_HOST_QMP_SYSTEM_RESET), 0);
    wait_for(&nevents, 3);
    assert_int_equal(events[2], VM_EVENT_RESET);
    assert_int_equal(reasons[2], VM_CAUSE_HOST_QMP_SYSTEM_RESET);
    assert_int_equal(vm_run_state(vm), VM_STATE_PAUSED);
    assert_int_equal(vm_resume(vm), 0);        /* RESUME */
    vm_shutdown(vm, VCPU_STOP, 0, VM_CAUSE_HOST_QMP_QUIT);
    assert_int_equal(vm_reset(vm, VM_CAUSE_GUEST_RESET), -ESHUTDOWN);
    return NULL;
}

static void run_reset_vm(bool no_reboot, void *(*driver)(void *))
{
    static struct vm vm;
    struct vm_config cfg = { .mem_size = 4 << 20, .ncpus = 3, .accel = "fake", .no_reboot = no_reboot };
    char why[256];
    int saved_in = dup(STDIN_FILENO), devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    close(devnull);
    mode = FAKE_SPIN;
    runs = kicks = nevents = vm_resets = vcpu_resets = reset_while_running = 0;
    assert_int_equal(vm_init(&vm, &cfg, &fake_ops, why, sizeof(why)), 0);
    assert_int_equal(vm_add_listener(&vm, (struct vm_listener){ record_event, NULL }), 0);
    pthread_t t;
    pthread_create(&t, NULL, driver, &vm);
    assert_int_equal(vm_run(&vm), 0);
    pthread_join(t, NULL);
    vm_destroy(&vm);
    dup2(saved_in, STDIN_FILENO);
    close(saved_in);
}

static void test_reset_in_place(void **state)
{
    (void)state;
    run_reset_vm(false, reset_driver);
    assert_int_equal(reset_while_running, 0);
    assert_int_equal(nevents, 5);
    assert_int_equal(events[1], VM_EVENT_STOP);
    assert_int_equal(events[3], VM_EVENT_RESUME);
    assert_int_equal(events[4], VM_EVENT_SHUTDOWN);
    assert_int_equal(reasons[4], VM_CAUSE_HOST_QMP_QUIT);
}

/* -no-reboot: the reset is the end, SHUTDOWN with the reset's cause and no RESET (QEMU's). */
static void *no_reboot_driver(void *arg)
{
    struct vm *vm = arg;
    wait_for(&runs, vm->ncpus);
    assert_int_equal(vm_reset(vm, VM_CAUSE_GUEST_RESET), 0);
    return NULL;
}

static void test_reset_no_reboot(void **state)
{
    (void)state;
    run_reset_vm(true, no_reboot_driver);
    assert_int_equal(vm_resets, 0);
    assert_int_equal(nevents, 1);
    assert_int_equal(events[0], VM_EVENT_SHUTDOWN);
    assert_int_equal(reasons[0], VM_CAUSE_GUEST_RESET);
    assert_true(vm_cause_is_guest(VM_CAUSE_GUEST_RESET));
    assert_string_equal(vm_cause_name(VM_CAUSE_HOST_QMP_SYSTEM_RESET), "host-qmp-system-reset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_dumps_and_exits_1),
        cmocka_unit_test(test_debug_exit_status),
        cmocka_unit_test(test_any_vcpu_ends_the_vm),
        cmocka_unit_test(test_exit_stats_table),
        cmocka_unit_test(test_pause_resume),
        cmocka_unit_test(test_reset_in_place),
        cmocka_unit_test(test_reset_no_reboot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
