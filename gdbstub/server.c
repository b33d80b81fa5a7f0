/* The gdbstub's thread: accept one debugger at a time, read its bytes into packets (packet.c), hand
 * them to the dispatcher (cmd.c) and send the replies; while the target runs, wait for a vCPU to
 * stop for the debugger (machine/vm.h's struct vm_debugger, through an eventfd), the VM to end, or
 * Ctrl-C. A connecting debugger stops the VM (QEMU does the same); a detaching or vanishing one takes
 * its breakpoints out and lets the VM run on. */
#include "gdbstub/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdbstub/listen.h"
#include "gdbstub/machine.h"

struct gdbstub {
    struct vm *vm;
    int listen_fd, wake_fd, conn;
    char path[256];                /* a unix socket's, to unlink */
    pthread_t thread;
    _Atomic bool quit, ended, stop_pending;
    _Atomic int stop_cpu;
    struct gdb_machine machine;
    struct gdb_ops ops;
    struct gdb_session sess;
    bool running;                  /* gdb waits for a stop reply */
    bool detached;                 /* 'D' took the breakpoints out and resumed the VM already */
    struct gdb_rx rx;
    char reply[GDB_REPLY_MAX + 1];
    char out[2 * GDB_REPLY_MAX + 8];
};

static void wake(struct gdbstub *g)
{
    uint64_t one = 1;
    if (write(g->wake_fd, &one, sizeof(one)) < 0)
        return;                    /* the counter is full: a wake-up is pending anyway */
}

static void on_stopped(void *opaque, int cpu)
{
    struct gdbstub *g = opaque;
    atomic_store(&g->stop_cpu, cpu);
    atomic_store(&g->stop_pending, true);
    wake(g);
}

static void on_ended(void *opaque)
{
    struct gdbstub *g = opaque;
    atomic_store(&g->ended, true);
    wake(g);
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_packet(struct gdbstub *g, const char *body, size_t len)
{
    size_t n = gdb_frame(body, len, g->out, sizeof(g->out));
    return n ? send_all(g->conn, g->out, n) : -1;
}

/* The VM stopped (a vCPU for us, or a Ctrl-C pause): once every vCPU is parked, say why. */
static int report_stop(struct gdbstub *g, int cpu, int sig, bool with_event)
{
    if (!vm_wait_parked(g->vm))
        return 0;                  /* it ended instead: the wake-up for that follows */
    struct vcpu_debug_event ev = g->vm->vcpus[cpu].debug_event;
    size_t n = gdb_stop_reply(&g->sess, cpu, sig, with_event ? &ev : NULL, g->reply, sizeof(g->reply));
    g->running = false;
    return send_packet(g, g->reply, n);
}

static int on_interrupt(struct gdbstub *g)
{
    if (!g->running)
        return 0;
    int r = vm_pause(g->vm);
    if (r == -EBUSY && atomic_load(&g->stop_pending))
        return 0;                  /* a vCPU stopped for us meanwhile: that stop is reported */
    if (r == -ESHUTDOWN)
        return 0;
    return report_stop(g, g->sess.stop_cpu, 2, false);
}

/* One packet; -1 ends the connection. */
static int on_packet(struct gdbstub *g)
{
    if (!g->sess.no_ack && send_all(g->conn, "+", 1) < 0)
        return -1;
    if (g->running)
        return 0;                  /* all-stop: nothing but Ctrl-C while the target runs */
    size_t len;
    enum gdb_action a = gdb_handle(&g->sess, g->rx.buf, g->rx.len, g->reply, &len);
    switch (a) {
    case GDB_ACT_RESUMED:
        g->running = true;
        return 0;
    case GDB_ACT_KILL:
        return -1;
    case GDB_ACT_DETACH:
        g->detached = true;
        send_packet(g, g->reply, len);
        return -1;
    default:
        return send_packet(g, g->reply, len);
    }
}

static int on_input(struct gdbstub *g)
{
    uint8_t buf[4096];
    ssize_t n = recv(g->conn, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;
    for (ssize_t i = 0; i < n; i++) {
        int r = 0;
        switch (gdb_rx_byte(&g->rx, buf[i])) {
        case GDB_RX_PACKET: r = on_packet(g); break;
        case GDB_RX_BAD: r = g->sess.no_ack ? 0 : send_all(g->conn, "-", 1); break;
        case GDB_RX_INTERRUPT: r = on_interrupt(g); break;
        default: break;
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

static void on_wake(struct gdbstub *g)
{
    uint64_t v;
    if (read(g->wake_fd, &v, sizeof(v)) < 0)
        return;
    if (g->running && atomic_exchange(&g->stop_pending, false))
        report_stop(g, atomic_load(&g->stop_cpu), 5, true);
}

/* The exit status gdb is told ("W" packet) when the VM ends under it. */
static void say_exited(struct gdbstub *g)
{
    char w[8];
    int code = atomic_load(&g->vm->stop_reason) == VCPU_DEBUG_EXIT ? atomic_load(&g->vm->exit_code) : 0;
    snprintf(w, sizeof(w), "W%02x", code & 0xff);
    send_packet(g, w, strlen(w));
}

static void serve(struct gdbstub *g)
{
    int one = 1;
    setsockopt(g->conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* fails on unix: harmless */
    if (vm_pause(g->vm) == -ESHUTDOWN || !vm_wait_parked(g->vm))
        return;
    atomic_store(&g->stop_pending, false);
    struct cpu_state s;
    bool is64 = vm_get_cpu_state(g->vm, 0, &s) < 0 || (s.efer & (1u << 10));   /* EFER.LMA */
    gdb_session_init(&g->sess, &g->ops, g->vm->ncpus, is64);
    gdb_rx_init(&g->rx);
    g->running = g->detached = false;
    while (!atomic_load(&g->quit)) {
        if (atomic_load(&g->ended)) {
            say_exited(g);
            return;
        }
        struct pollfd p[2] = { { g->conn, POLLIN, 0 }, { g->wake_fd, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents & POLLIN)
            on_wake(g);
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && on_input(g) < 0)
            break;
    }
    if (atomic_load(&g->ended) || atomic_load(&g->quit) || g->detached)
        return;
    /* Gone (detach, disconnect, kill): no breakpoint of ours stays behind, and the VM runs on. */
    if (g->running)
        vm_pause(g->vm);
    if (vm_wait_parked(g->vm)) {
        gdb_session_clear(&g->sess);
        vm_resume(g->vm);
    }
}

static void *gdb_thread(void *arg)
{
    struct gdbstub *g = arg;
    while (!atomic_load(&g->quit) && !atomic_load(&g->ended)) {
        struct pollfd p[2] = { { g->listen_fd, POLLIN, 0 }, { g->wake_fd, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents & POLLIN) {
            uint64_t v;
            if (read(g->wake_fd, &v, sizeof(v)) < 0)
                continue;
        }
        if (!(p[0].revents & POLLIN))
            continue;
        g->conn = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (g->conn < 0)
            continue;
        serve(g);
        close(g->conn);
        g->conn = -1;
    }
    return NULL;
}

struct gdbstub *gdbstub_new(struct vm *vm, const char *spec, const char *version, char *err, size_t errlen)
{
    struct gdbstub *g = calloc(1, sizeof(*g));
    char why[256];
    if (!g) {
        snprintf(err, errlen, "%s: out of memory", spec);
        return NULL;
    }
    g->vm = vm;
    g->conn = -1;
    g->wake_fd = eventfd(0, EFD_CLOEXEC);
    g->listen_fd = gdb_listen(spec, g->path, sizeof(g->path), why, sizeof(why));
    if (g->listen_fd < 0 || g->wake_fd < 0) {
        snprintf(err, errlen, "%s: %s", spec, g->listen_fd < 0 ? why : strerror(errno));
        gdbstub_free(g);
        return NULL;
    }
    g->machine = (struct gdb_machine){ vm, version, false };
    gdb_machine_ops(&g->machine, &g->ops);
    vm->debugger = (struct vm_debugger){ on_stopped, on_ended, g };
    int r = pthread_create(&g->thread, NULL, gdb_thread, g);
    if (r) {
        snprintf(err, errlen, "%s: thread: %s", spec, strerror(r));
        vm->debugger = (struct vm_debugger){ 0 };
        g->thread = 0;
        gdbstub_free(g);
        return NULL;
    }
    pthread_setname_np(g->thread, "gdbstub");
    return g;
}

void gdbstub_free(struct gdbstub *g)
{
    if (!g)
        return;
    if (g->thread) {
        atomic_store(&g->quit, true);
        wake(g);
        pthread_join(g->thread, NULL);
    }
    g->vm->debugger = (struct vm_debugger){ 0 };
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    if (g->wake_fd >= 0)
        close(g->wake_fd);
    if (g->path[0])
        unlink(g->path);
    free(g);
}
