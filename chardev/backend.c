/* The backends behind -chardev. Each has its own small epoll set, watched by the VM's event loop
 * as one fd, so input can be paused (the client fd leaves the set) while the device has no room,
 * and resumed by an eventfd kick from any thread. */
#include "chardev/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/eventloop.h"

#define HELD_MAX 4096

struct chardev {
    struct chardev_spec spec;
    int out_fd;                        /* file and stdio: where writes go */
    int listen_fd, client_fd;          /* socket; -1 when absent */
    int epfd, kick_fd;
    bool paused;                       /* the client fd is out of the set */
    pthread_mutex_t lock;              /* client_fd against writers on other threads */
    struct chr_frontend fe;
    struct evloop *loop;
    uint8_t held[HELD_MAX];            /* input the frontend did not take yet */
    size_t held_off, held_len;
};

static void watch(struct chardev *c, int fd, bool on)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    epoll_ctl(c->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev);
}

static void drop_client(struct chardev *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->client_fd >= 0) {
        if (!c->paused)
            watch(c, c->client_fd, false);
        close(c->client_fd);
    }
    c->client_fd = -1;
    c->paused = false;
    c->held_len = 0;
    pthread_mutex_unlock(&c->lock);
}

/* Hands held bytes to the frontend; true when all were taken. Loop thread. */
static bool deliver(struct chardev *c)
{
    while (c->held_len) {
        size_t n = c->fe.receive ? c->fe.receive(c->fe.opaque, c->held + c->held_off, c->held_len)
                                 : c->held_len;
        if (!n)
            return false;
        c->held_off += n;
        c->held_len -= n;
    }
    return true;
}

static void pause_input(struct chardev *c, bool pause)
{
    if (c->client_fd < 0 || c->paused == pause)
        return;
    watch(c, c->client_fd, !pause);
    c->paused = pause;
}

static void on_client(struct chardev *c)
{
    ssize_t n = read(c->client_fd, c->held, sizeof(c->held));
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            drop_client(c);
        return;
    }
    c->held_off = 0;
    c->held_len = (size_t)n;
    if (!deliver(c))
        pause_input(c, true);
}

static void on_listen(struct chardev *c)
{
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    if (c->client_fd >= 0) {           /* one client at a time, as QEMU's socket chardev */
        close(fd);
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->client_fd = fd;
    c->paused = false;
    watch(c, fd, true);
    pthread_mutex_unlock(&c->lock);
}

static void on_events(void *opaque)
{
    struct chardev *c = opaque;
    struct epoll_event evs[4];
    int n = epoll_wait(c->epfd, evs, 4, 0);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == c->kick_fd) {
            uint64_t v;
            if (read(c->kick_fd, &v, sizeof(v)) < 0) { /* nothing pending */ }
            if (c->paused && deliver(c))
                pause_input(c, false);
        } else if (fd == c->listen_fd) {
            on_listen(c);
        } else if (fd == c->client_fd && !c->paused) {
            on_client(c);
        }
    }
}

/* Writes all of buf to fd, waiting at most 100 ms at a time for a slow reader; then drops it. */
static void write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == ENOTSOCK)
            w = write(fd, buf, n);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            if (poll(&p, 1, 100) <= 0)
                return;
            continue;
        }
        if (w <= 0)
            return;
        buf += w;
        n -= (size_t)w;
    }
}

static void link_write(void *be, const uint8_t *buf, size_t n)
{
    struct chardev *c = be;
    pthread_mutex_lock(&c->lock);
    int fd = c->spec.kind == CHARDEV_SOCKET ? c->client_fd : c->out_fd;
    if (fd >= 0)
        write_all(fd, buf, n);
    pthread_mutex_unlock(&c->lock);
}

static void link_set_frontend(void *be, const struct chr_frontend *fe)
{
    struct chardev *c = be;
    c->fe = fe ? *fe : (struct chr_frontend){ 0 };
}

static void link_accept_input(void *be)
{
    struct chardev *c = be;
    uint64_t one = 1;
    if (write(c->kick_fd, &one, sizeof(one)) < 0) { /* the counter is already set */ }
}

struct chr_link chardev_link(struct chardev *c)
{
    return (struct chr_link){ .write = link_write, .set_frontend = link_set_frontend,
                              .accept_input = link_accept_input, .be = c };
}

static int open_socket(struct chardev *c, char *err, size_t errlen)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", c->spec.path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (!c->spec.server) {
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            goto fail;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        c->client_fd = fd;
        watch(c, fd, true);
        return 0;
    }
    unlink(c->spec.path);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0)
        goto fail;
    c->listen_fd = fd;
    if (c->spec.wait) {
        fprintf(stderr, "vmon: chardev %s: waiting for a connection on %s\n", c->spec.id, c->spec.path);
        int cl = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cl < 0)
            goto fail;
        c->client_fd = cl;
        watch(c, cl, true);
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    watch(c, fd, true);
    return 0;
fail:
    snprintf(err, errlen, "chardev %s: %s: %s", c->spec.id, c->spec.path, strerror(errno));
    if (fd >= 0)
        close(fd);
    c->listen_fd = -1;
    return -1;
}

struct chardev *chardev_open(const struct chardev_spec *s, struct evloop *loop, char *err,
                             size_t errlen)
{
    struct chardev *c = calloc(1, sizeof(*c));
    if (!c)
        return snprintf(err, errlen, "chardev %s: %s", s->id, strerror(ENOMEM)), NULL;
    c->spec = *s;
    c->out_fd = c->listen_fd = c->client_fd = -1;
    pthread_mutex_init(&c->lock, NULL);
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    c->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->epfd < 0 || c->kick_fd < 0) {
        snprintf(err, errlen, "chardev %s: %s", s->id, strerror(errno));
        goto fail;
    }
    watch(c, c->kick_fd, true);
    if (s->kind == CHARDEV_STDIO) {
        c->out_fd = dup(STDOUT_FILENO);
    } else if (s->kind == CHARDEV_FILE) {
        c->out_fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (c->out_fd < 0) {
            snprintf(err, errlen, "chardev %s: %s: %s", s->id, s->path, strerror(errno));
            goto fail;
        }
    } else if (open_socket(c, err, errlen) < 0) {
        goto fail;
    }
    if (loop && evloop_add_fd(loop, c->epfd, on_events, c) < 0) {
        loop = NULL;
        snprintf(err, errlen, "chardev %s: watching it: %s", s->id, strerror(errno));
        goto fail;
    }
    c->loop = loop;
    return c;
fail:
    chardev_free(c);
    return NULL;
}

void chardev_free(struct chardev *c)
{
    if (!c)
        return;
    if (c->loop)
        evloop_remove_fd(c->loop, c->epfd);
    if (c->client_fd >= 0)
        close(c->client_fd);
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        unlink(c->spec.path);
    }
    if (c->out_fd >= 0)
        close(c->out_fd);
    if (c->epfd >= 0)
        close(c->epfd);
    if (c->kick_fd >= 0)
        close(c->kick_fd);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
