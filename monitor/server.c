/* Monitor sockets on the event loop: accept clients, split their input into QMP JSON values
 * (qmp-spec 2.1: a stream of JSON objects) or HMP lines, write replies and broadcast events.
 *
 * Threads: accept and reads run on the event-loop thread; events arrive from whichever thread changed
 * the run state (a vCPU, the event loop, the main thread at a signal). m->lock guards the client
 * list and every write to a client; it is never held while a command runs (stop waits for vCPUs). */
#include "monitor/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "monitor/hmp.h"
#include "monitor/qmp.h"
#include "util/eventloop.h"

#define MONITOR_MAX_CLIENTS 8
#define HMP_LINE_MAX 256

struct monitor_client {
    struct monitor *m;
    int fd;                    /* -1: slot free */
    struct qmp_session qmp;
    char line[HMP_LINE_MAX];   /* HMP: the line being typed */
    size_t len;
};

struct monitor {
    struct vm *vm;
    enum monitor_kind kind;
    const char *version;
    int listen_fd;
    char unix_path[108];       /* removed at free; empty for tcp */
    pthread_mutex_t lock;
    struct monitor_client clients[MONITOR_MAX_CLIENTS];
};

int monitor_parse_addr(const char *spec, struct monitor_addr *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->wait = true;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", spec);
    char *save = NULL, *addr = strtok_r(buf, ",", &save);
    bool server = false;
    for (char *o; (o = strtok_r(NULL, ",", &save));) {
        if (!strcmp(o, "server") || !strcmp(o, "server=on"))
            server = true;
        else if (!strcmp(o, "wait=off") || !strcmp(o, "nowait"))
            a->wait = false;
        else if (strcmp(o, "wait=on")) {
            snprintf(err, errlen, "%s: unknown option '%s'", spec, o);
            return -EINVAL;
        }
    }
    if (!addr || !server) {
        snprintf(err, errlen, "%s: only listening sockets (unix:PATH,server or tcp:HOST:PORT,server)", spec);
        return -EINVAL;
    }
    if (!strncmp(addr, "unix:", 5) && addr[5] && strlen(addr + 5) < sizeof(a->path)) {
        a->is_unix = true;
        snprintf(a->path, sizeof(a->path), "%s", addr + 5);
        return 0;
    }
    char *colon = strncmp(addr, "tcp:", 4) ? NULL : strrchr(addr + 4, ':');
    if (colon && colon[1] && (size_t)(colon - (addr + 4)) < sizeof(a->host) &&
        strlen(colon + 1) < sizeof(a->port)) {
        snprintf(a->host, sizeof(a->host), "%.*s", (int)(colon - (addr + 4)), addr + 4);
        snprintf(a->port, sizeof(a->port), "%s", colon + 1);
        return 0;
    }
    snprintf(err, errlen, "%s: expected unix:PATH or tcp:HOST:PORT", spec);
    return -EINVAL;
}

/* A unix socket readable and writable by its owner only: bound under umask 077, so no other user
 * can connect in the window before a chmod. */
static int listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    unlink(path);
    mode_t old = umask(077);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

static int listen_tcp(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    if (getaddrinfo(*host ? host : NULL, port, &hints, &res))
        return -EADDRNOTAVAIL;
    int fd = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4) == 0)
            break;
        int e = errno;
        close(fd);
        fd = -e;
    }
    freeaddrinfo(res);
    return fd;
}

/* Send a whole line (under m->lock); a client that cannot take it is dropped at its next read. */
static void send_line_locked(struct monitor_client *c, const char *s)
{
    if (c->fd < 0 || !s)
        return;
    size_t len = strlen(s);
    while (len) {
        ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static void send_line(struct monitor_client *c, const char *s)
{
    pthread_mutex_lock(&c->m->lock);
    send_line_locked(c, s);
    send_line_locked(c, c->m->kind == MONITOR_QMP ? "\r\n" : "");
    pthread_mutex_unlock(&c->m->lock);
}

static void client_close(struct monitor_client *c)
{
    struct monitor *m = c->m;
    evloop_remove_fd(m->vm->loop, c->fd);
    pthread_mutex_lock(&m->lock);
    close(c->fd);
    c->fd = -1;
    pthread_mutex_unlock(&m->lock);
    qmp_session_fini(&c->qmp);
}

/* After a reply to quit: end the VM (the reply went out first, as QEMU's does). */
static void maybe_quit(struct monitor *m, bool quit)
{
    if (quit)
        vm_shutdown(m->vm, VCPU_STOP, 0, VM_CAUSE_HOST_QMP_QUIT);
}

static void qmp_reply(void *opaque, const char *line)
{
    struct monitor_client *c = opaque;
    send_line(c, line);
    maybe_quit(c->m, c->qmp.quit);
}

static void hmp_line(struct monitor_client *c)
{
    c->line[c->len] = 0;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    bool quit = out && hmp_run(c->m->vm, c->m->version, c->line, out);
    if (out)
        fclose(out);
    send_line(c, text);
    send_line(c, "(vmon) ");
    free(text);
    c->len = 0;
    maybe_quit(c->m, quit);
}

static void hmp_feed(struct monitor_client *c, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n')
            hmp_line(c);
        else if (buf[i] != '\r' && c->len < sizeof(c->line) - 1)
            c->line[c->len++] = buf[i];
    }
}

static void on_client(void *opaque)
{
    struct monitor_client *c = opaque;
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client_close(c);
        return;
    }
    if (c->m->kind == MONITOR_QMP)
        qmp_feed(&c->qmp, buf, (size_t)n, qmp_reply, c);
    else
        hmp_feed(c, buf, (size_t)n);
}

static struct monitor_client *client_slot(struct monitor *m)
{
    for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
        if (m->clients[i].fd < 0)
            return &m->clients[i];
    return NULL;
}

static void client_greet(struct monitor_client *c)
{
    if (c->m->kind == MONITOR_QMP) {
        char *g = qmp_greeting(&c->qmp);
        send_line(c, g);
        free(g);
    } else {
        send_line(c, "vmon monitor - type 'help' for more information\n(vmon) ");
    }
}

/* Take one connection; called on the event loop, or on the main thread for wait=on. */
static void monitor_accept(struct monitor *m, bool watch)
{
    int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct monitor_client *c = client_slot(m);
    if (!c) {
        close(fd);
        return;
    }
    c->len = 0;
    if (qmp_session_init(&c->qmp, m->vm, m->version) < 0) {
        close(fd);
        return;
    }
    pthread_mutex_lock(&m->lock);
    c->fd = fd;
    pthread_mutex_unlock(&m->lock);
    client_greet(c);
    if (watch && evloop_add_fd(m->vm->loop, fd, on_client, c) < 0)
        client_close(c);
}

static void on_listen(void *opaque)
{
    monitor_accept(opaque, true);
}

/* Run-state events go to every QMP client in command mode (qmp-spec 4). */
static void on_event(void *opaque, enum vm_event ev, int reason)
{
    struct monitor *m = opaque;
    if (m->kind != MONITOR_QMP)
        return;
    char *line = qmp_event_line(ev, reason);
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
        if (m->clients[i].fd >= 0 && m->clients[i].qmp.command_mode) {
            send_line_locked(&m->clients[i], line);
            send_line_locked(&m->clients[i], "\r\n");
        }
    }
    pthread_mutex_unlock(&m->lock);
    free(line);
}

static int monitor_listen(struct monitor *m, const struct monitor_addr *a)
{
    if (a->is_unix) {
        m->listen_fd = listen_unix(a->path);
        if (m->listen_fd >= 0)
            snprintf(m->unix_path, sizeof(m->unix_path), "%s", a->path);
    } else {
        m->listen_fd = listen_tcp(a->host, a->port);
    }
    return m->listen_fd < 0 ? m->listen_fd : 0;
}

struct monitor *monitor_new(struct vm *vm, enum monitor_kind kind, const char *spec,
                            const char *version, char *err, size_t errlen)
{
    struct monitor_addr a;
    if (monitor_parse_addr(spec, &a, err, errlen) < 0)
        return NULL;
    struct monitor *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "%s: out of memory", spec);
        return NULL;
    }
    *m = (struct monitor){ .vm = vm, .kind = kind, .version = version, .listen_fd = -1 };
    pthread_mutex_init(&m->lock, NULL);
    for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
        m->clients[i] = (struct monitor_client){ .m = m, .fd = -1 };
    int r = monitor_listen(m, &a);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", spec, strerror(-r));
        monitor_free(m);
        return NULL;
    }
    if (a.wait)
        monitor_accept(m, false);
    for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
        if (m->clients[i].fd >= 0 && evloop_add_fd(vm->loop, m->clients[i].fd, on_client, &m->clients[i]) < 0)
            client_close(&m->clients[i]);
    if (evloop_add_fd(vm->loop, m->listen_fd, on_listen, m) < 0) {
        snprintf(err, errlen, "%s: event loop: %s", spec, strerror(errno));
        monitor_free(m);
        return NULL;
    }
    if (kind == MONITOR_QMP && vm_add_listener(vm, (struct vm_listener){ on_event, m }) < 0) {
        snprintf(err, errlen, "%s: too many QMP monitors", spec);
        monitor_free(m);
        return NULL;
    }
    return m;
}

void monitor_free(struct monitor *m)
{
    if (!m)
        return;
    vm_remove_listener(m->vm, m);
    for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
        if (m->clients[i].fd >= 0)
            close(m->clients[i].fd);
        qmp_session_fini(&m->clients[i].qmp);
    }
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    if (m->unix_path[0])
        unlink(m->unix_path);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
