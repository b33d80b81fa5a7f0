/* vmon run: parse the command line, build the machine, load the kernel, run it, report. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/accel.h"
#include "boot/boot.h"
#include "machine/vm.h"
#include "monitor/console.h"
#include "monitor/server.h"
#include "gdbstub/server.h"
#include "tools/cli.h"
#include "tools/run-args.h"

/* -daemonize (QEMU's semantics): fork before anything is set up; the parent waits on a pipe and exits
 * with the status the child reports once the VM stands (or its failure status), so errors still reach
 * the caller's terminal and exit status. Returns the pipe's write end in the child, -1 without
 * -daemonize; never returns in the parent. */
static int run_daemonize(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        fprintf(stderr, "vmon: -daemonize: pipe: %s\n", strerror(errno));
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "vmon: -daemonize: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        close(p[1]);
        unsigned char st;
        if (read(p[0], &st, 1) == 1)
            exit(st);
        int ws;                        /* the child ended without a word: its own status */
        waitpid(pid, &ws, 0);
        exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 1);
    }
    close(p[0]);
    setsid();
    return p[1];
}

/* -D FILE: from here on vmon's messages (stderr) go to FILE, appended, as QEMU's -D log does;
 * errors up to now reached the caller's terminal. 0, or 1 with the reason printed. */
static int run_logfile(const char *path)
{
    if (!path)
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "vmon: -D %s: %s\n", path, strerror(errno));
        return 1;
    }
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    close(fd);
    return 0;
}

/* The VM stands: tell the waiting parent, and leave the terminal (stderr stays on a -D log). */
static void run_detached(int ready_fd, bool logged)
{
    if (ready_fd < 0)
        return;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (!logged)
            dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    unsigned char ok = 0;
    if (write(ready_fd, &ok, 1) != 1) {
        /* the parent is gone; nothing to tell */
    }
    close(ready_fd);
}

/* A failure before the VM runs: tell the parent the status (it prints nothing more). */
static int run_failed(int ready_fd, int status)
{
    if (ready_fd >= 0) {
        unsigned char st = (unsigned char)status;
        if (write(ready_fd, &st, 1) != 1) {
            /* the parent is gone */
        }
        close(ready_fd);
    }
    return status;
}

/* -pidfile: written and locked (F_SETLK on the whole file) so a second vmon on it is refused, as
 * QEMU's qemu_write_pidfile does; the lock lives as long as the returned fd. */
static int run_pidfile(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        int e = errno == EAGAIN || errno == EACCES ? EBUSY : errno;
        close(fd);
        return -e;
    }
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
        int e = errno;
        close(fd);
        unlink(path);
        return -e;
    }
    return fd;
}

/* Monitors and the pidfile, once the VM is built; 0 or 2 (bad input) / 1 with a message printed. */
static int run_monitors(struct vm *vm, struct monitor **qmp, struct monitor **hmp, int *pid_fd)
{
    char err[512];
    const struct vm_config *c = &vm->cfg;
    for (int i = 0; i < c->nqmp; i++) {
        if (!(qmp[i] = monitor_new(vm, MONITOR_QMP, c->qmp[i], VMON_VERSION, err, sizeof(err)))) {
            fprintf(stderr, "vmon: -qmp %s\n", err);
            return 2;
        }
    }
    if (c->monitor && strcmp(c->monitor, "stdio") &&
        !(*hmp = monitor_new(vm, MONITOR_HMP, c->monitor, VMON_VERSION, err, sizeof(err)))) {
        fprintf(stderr, "vmon: -monitor %s\n", err);
        return 2;
    }
    if (c->pidfile && (*pid_fd = run_pidfile(c->pidfile)) < 0) {
        fprintf(stderr, "vmon: -pidfile %s: %s\n", c->pidfile,
                *pid_fd == -EBUSY ? "locked by another process" : strerror(-*pid_fd));
        return 1;
    }
    return 0;
}

int run_main(int argc, char **argv)
{
    struct vm_config cfg;
    char err[512];
    switch (run_parse_args(argc, argv, &cfg, err, sizeof(err))) {
    case RUN_ARGS_HELP:
        run_usage(stdout);
        return 0;
    case RUN_ARGS_VERSION:
        printf("vmon %s\n", VMON_VERSION);
        return 0;
    case RUN_ARGS_OK:
        break;
    default:
        fprintf(stderr, "vmon: %s\n", err);
        return 2;
    }
    if (run_check_config(&cfg, "/proc/meminfo", err, sizeof(err)) < 0) {
        fprintf(stderr, "vmon: %s\n", err);
        return 2;
    }
    const char *why = NULL, *note = NULL;
    const struct accel_ops *accel = accel_pick(cfg.accel, &why, &note);
    if (!accel) {
        fprintf(stderr, "vmon: accel %s: %s\n", cfg.accel, why);
        return 2;
    }

    int ready_fd = cfg.daemonize ? run_daemonize() : -1;

    /* A console whose reader went away must not kill the VM: writes just fail. */
    signal(SIGPIPE, SIG_IGN);

    struct vm *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        fprintf(stderr, "vmon: out of memory\n");
        return run_failed(ready_fd, 1);
    }
    struct monitor *qmp[VM_MAX_QMP] = { 0 }, *hmp = NULL;
    struct monitor_console *console = NULL;
    struct gdbstub *gdb = NULL;
    int pid_fd = -1;
    int status;
    int r = vm_init(vm, &cfg, accel, err, sizeof(err));
    if (r >= 0 && note)        /* once the VM stands: a refused configuration says only why */
        fprintf(stderr, "vmon: accel kvm: %s\n", note);
    if (r < 0) {
        fprintf(stderr, "vmon: %s\n", err);
        status = r == -EINVAL ? 2 : 1;
    } else if ((cfg.kernel ? boot_load(vm, err, sizeof(err))
                : cfg.restore || cfg.incoming ? 0 : firmware_load(vm, err, sizeof(err))) < 0) {
        fprintf(stderr, "vmon: %s\n", err);
        status = 2;
    } else if ((status = run_monitors(vm, qmp, &hmp, &pid_fd)) == 0 &&
               (status = run_logfile(cfg.logfile)) == 0) {
        /* Ctrl-A c always reaches the monitor, as under QEMU's -nographic (-serial mon:stdio);
         * -monitor stdio gives it the terminal first. */
        console = monitor_console_new(vm, VMON_VERSION);
        if (cfg.gdb && !(gdb = gdbstub_new(vm, cfg.gdb, VMON_VERSION, err, sizeof(err)))) {
            fprintf(stderr, "vmon: -gdb %s\n", err);
            status = 2;
        } else {
            if (console && cfg.monitor && !strcmp(cfg.monitor, "stdio"))
                monitor_console_focus(console);
            run_detached(ready_fd, cfg.logfile != NULL);
            ready_fd = -1;
            status = vm_run(vm);
        }
    }
    gdbstub_free(gdb);
    run_failed(ready_fd, status);
    for (int i = 0; i < VM_MAX_QMP; i++)
        monitor_free(qmp[i]);
    monitor_free(hmp);
    monitor_console_free(console);
    if (pid_fd >= 0) {
        unlink(cfg.pidfile);
        close(pid_fd);
    }
    vm_destroy(vm);
    free(vm);
    return status;
}
