/* Tiny real-mode guests run under KVM through the whole machine (vm_init, devices, vm_run): serial
 * output, debug-exit status, i8042 reset, ACPI poweroff, fw_cfg, exit counts, Ctrl-A x, SIGTERM.
 * (The crash path runs in accel/kvm/run-kvm_test.sh and, without KVM, in hw/vm_test.c.)
 * Skipped (exit 77) where /dev/kvm cannot be opened. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/accel.h"
#include "machine/vm.h"

#define LOAD 0x1000

struct result {
    int status;
    int reason;
    char out[256];
    uint64_t port_exits_3f8;
};

static void real_mode_state(struct cpu_state *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < SEG_COUNT; i++) {
        s->seg[i] = (struct seg_state){ .limit = 0xffff, .type = 3, .s = 1, .present = 1 };
    }
    s->seg[SEG_CS].type = 0xb;
    s->seg[SEG_TR] = (struct seg_state){ .limit = 0xffff, .type = 0xb, .present = 1 };
    s->seg[SEG_LDTR] = (struct seg_state){ .limit = 0xffff, .type = 2, .present = 1 };
    s->gdt.limit = 0xffff;
    s->idt.limit = 0x3ff;
    s->cr0 = 0x10;
    s->rip = LOAD;
    s->gpr[R_RSP] = 0x8000;
    s->rflags = 2;
}

/* stdin_text: what the guest's console receives (NULL: /dev/null). */
static struct result run_guest_input(const uint8_t *code, size_t len, bool exit_stats,
                                     const char *stdin_text)
{
    struct result res;
    memset(&res, 0, sizeof(res));
    /* -no-reboot: these guests end with a reset, which would otherwise run them again */
    struct vm_config cfg = { .mem_size = 16 << 20, .ncpus = 1, .accel = "kvm", .exit_stats = exit_stats,
                             .no_reboot = true };
    static struct vm vm;
    char err[256];

    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    int saved_out = dup(STDOUT_FILENO), saved_in = dup(STDIN_FILENO);
    int in_fd;
    if (stdin_text) {
        int inpipe[2];
        assert_int_equal(pipe(inpipe), 0);
        assert_int_equal(write(inpipe[1], stdin_text, strlen(stdin_text)), (ssize_t)strlen(stdin_text));
        close(inpipe[1]);
        in_fd = inpipe[0];
    } else {
        in_fd = open("/dev/null", O_RDONLY);
    }
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(in_fd, STDIN_FILENO);
    close(pipefd[1]);
    close(in_fd);

    int r = vm_init(&vm, &cfg, &kvm_accel_ops, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "vm_init: %s\n", err);
    assert_int_equal(r, 0);
    assert_int_equal(guest_mem_write(&vm.mem, LOAD, code, len), 0);
    real_mode_state(&vm.boot_state);
    res.status = vm_run(&vm);
    res.reason = atomic_load(&vm.stop_reason);
    for (int i = 0; i < EXIT_STATS_ADDRS; i++)
        if (vm.stats.addr[i].addr == 0x3f8 + 1)
            res.port_exits_3f8 = vm.stats.addr[i].count;
    vm_destroy(&vm);

    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_in, STDIN_FILENO);
    close(saved_out);
    close(saved_in);
    ssize_t n = read(pipefd[0], res.out, sizeof(res.out) - 1);
    res.out[n > 0 ? n : 0] = 0;
    close(pipefd[0]);
    return res;
}

static struct result run_guest(const uint8_t *code, size_t len, bool exit_stats)
{
    return run_guest_input(code, len, exit_stats, NULL);
}

/* Print the NUL-terminated string at LOAD+0x40 on COM1, then write 0x2a to isa-debug-exit. */
static const uint8_t hello[] = {
    0xba, 0xf8, 0x03,          /* mov dx, 0x3f8 */
    0xbe, 0x40, 0x10,          /* mov si, 0x1040 */
    0xac,                      /* 1: lodsb */
    0x84, 0xc0,                /* test al, al */
    0x74, 0x03,                /* jz 2f */
    0xee,                      /* out dx, al */
    0xeb, 0xf8,                /* jmp 1b */
    0xb0, 0x2a,                /* 2: mov al, 0x2a */
    0xe6, 0xf4,                /* out 0xf4, al */
    0xf4,                      /* hlt */
};

static void test_serial_and_debug_exit(void **state)
{
    (void)state;
    uint8_t code[0x60] = { 0 };
    memcpy(code, hello, sizeof(hello));
    strcpy((char *)code + 0x40, "hello from the guest\n");
    struct result r = run_guest(code, sizeof(code), true);
    assert_string_equal(r.out, "hello from the guest\n");
    assert_int_equal(r.reason, VCPU_DEBUG_EXIT);
    assert_int_equal(r.status, (0x2a << 1) | 1);
    assert_int_equal(r.port_exits_3f8, strlen("hello from the guest\n"));
}

static void test_i8042_reset(void **state)
{
    (void)state;
    static const uint8_t code[] = { 0xb0, 0xfe, 0xe6, 0x64, 0xf4 };   /* mov al,0xfe; out 0x64,al */
    struct result r = run_guest(code, sizeof(code), false);
    assert_int_equal(r.reason, VCPU_RESET);
    assert_int_equal(r.status, 0);
}

static void test_acpi_poweroff(void **state)
{
    (void)state;
    static const uint8_t code[] = {
        0xba, 0x04, 0x06,      /* mov dx, 0x604 (PM1a_CNT) */
        0xb8, 0x00, 0x34,      /* mov ax, SLP_EN | SLP_TYP 5 */
        0xef,                  /* out dx, ax */
        0xf4,
    };
    struct result r = run_guest(code, sizeof(code), false);
    assert_int_equal(r.reason, VCPU_POWEROFF);
    assert_int_equal(r.status, 0);
}

/* Select fw_cfg's signature and copy its 4 bytes to COM1, then debug-exit 0. */
static void test_fw_cfg_signature(void **state)
{
    (void)state;
    static const uint8_t code[] = {
        0xba, 0x10, 0x05,      /* mov dx, 0x510 */
        0x31, 0xc0,            /* xor ax, ax */
        0xef,                  /* out dx, ax: FW_CFG_SIGNATURE */
        0xb9, 0x04, 0x00,      /* mov cx, 4 */
        0xba, 0x11, 0x05,      /* 1: mov dx, 0x511 */
        0xec,                  /* in al, dx */
        0xba, 0xf8, 0x03,      /* mov dx, 0x3f8 */
        0xee,                  /* out dx, al */
        0xe2, 0xf6,            /* loop 1b */
        0x31, 0xc0,            /* xor ax, ax */
        0xe6, 0xf4,            /* out 0xf4, al */
    };
    struct result r = run_guest(code, sizeof(code), false);
    assert_string_equal(r.out, "QEMU");
    assert_int_equal(r.status, 1);
}

/* A guest spinning forever: Ctrl-A x on the console ends vmon (status 0), kicking the vCPU out of
 * KVM_RUN. */
static void test_ctrl_a_x(void **state)
{
    (void)state;
    static const uint8_t code[] = { 0xeb, 0xfe };   /* jmp $ */
    struct result r = run_guest_input(code, sizeof(code), false, "ab\x01x");
    assert_int_equal(r.reason, VCPU_STOP);
    assert_int_equal(r.status, 0);
}

static void *send_sigterm(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);   /* let the VM's signalfd take it, not this thread */
    usleep(200 * 1000);
    kill(getpid(), SIGTERM);
    return NULL;
}

static void test_sigterm(void **state)
{
    (void)state;
    static const uint8_t code[] = { 0xeb, 0xfe };
    pthread_t t;
    pthread_create(&t, NULL, send_sigterm, NULL);
    struct result r = run_guest(code, sizeof(code), false);
    pthread_join(t, NULL);
    assert_int_equal(r.reason, VCPU_STOP);
    assert_int_equal(r.status, 0);
}

int main(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("skip: /dev/kvm: %s\n", strerror(errno));
        return 77;
    }
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_and_debug_exit),
        cmocka_unit_test(test_i8042_reset),
        cmocka_unit_test(test_acpi_poweroff),
        cmocka_unit_test(test_fw_cfg_signature),
        cmocka_unit_test(test_ctrl_a_x),
        cmocka_unit_test(test_sigterm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
