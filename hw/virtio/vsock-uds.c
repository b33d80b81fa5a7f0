/* virtio-vsock's host side (Firecracker's vsock Unix-socket backend, its docs/vsock.md): the
 * listening socket, the host's "CONNECT <port>\n" line, the device's epoll set (accepts,
 * handshakes, host input), and the device's creation. */
#include "hw/virtio/vsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/eventloop.h"

#define LISTEN_KEY VSOCK_MAX_CONNS
#define FIRST_HOST_PORT (1u << 30)     /* local ports for host-initiated connections */

/* One byte of the host's "CONNECT <port>\n" (one at a time: what follows the line is data). */
static void handshake(struct virtio_vsock *s, struct vsock_conn *c)
{
    char ch;
    ssize_t n = recv(c->fd, &ch, 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || c->line_len >= sizeof(c->line) - 1)
        return vsock_conn_close(s, c);
    c->line[c->line_len++] = ch;
    if (ch != '\n')
        return;
    c->line[c->line_len] = 0;
    char *end;
    unsigned long port = strncmp(c->line, "CONNECT ", 8) ? 0 : strtoul(c->line + 8, &end, 10);
    if (!port || port > UINT32_MAX || (*end != '\n' && *end != '\r'))
        return vsock_conn_close(s, c);
    c->guest_port = (uint32_t)port;
    c->host_port = s->next_host_port++;
    c->state = VC_REQUESTED;
    c->peer_buf_alloc = 0;
    vsock_conn_watch(s, c, false);
    vsock_send_ctl_locked(s, c, VSOCK_OP_REQUEST, 0);
}

static void accept_host(struct virtio_vsock *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    struct vsock_conn *c = vsock_conn_new(s, fd);
    if (!c) {
        close(fd);
        return;
    }
    c->state = VC_HANDSHAKE;
    vsock_conn_watch(s, c, true);
}

void vsock_on_events(void *opaque)
{
    struct virtio_vsock *s = opaque;
    struct epoll_event evs[16];
    pthread_mutex_lock(&s->vdev.lock);
    int n = epoll_wait(s->epfd, evs, 16, 0);
    for (int i = 0; i < n; i++) {
        uint64_t k = evs[i].data.u64;
        if (k == LISTEN_KEY) {
            accept_host(s);
            continue;
        }
        struct vsock_conn *c = &s->conns[k];
        if (!c->watched)
            continue;                  /* unwatched by an earlier event of this batch */
        if (c->state == VC_HANDSHAKE)
            handshake(s, c);
        else if (c->state == VC_ESTABLISHED)
            vsock_conn_input_locked(s, c);
        else
            vsock_conn_watch(s, c, false);
    }
    pthread_mutex_unlock(&s->vdev.lock);
}

int vsock_listen(struct virtio_vsock *s, char *err, size_t errlen)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->uds) >= (int)sizeof(a.sun_path))
        return snprintf(err, errlen, "vsock uds=%s: path too long", s->uds), -ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    unlink(s->uds);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        snprintf(err, errlen, "vsock uds=%s: %s", s->uds, strerror(e));
        if (fd >= 0)
            close(fd);
        return -e;
    }
    s->listen_fd = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTEN_KEY };
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

struct virtio_vsock *virtio_vsock_new(const struct guest_mem *mem, struct evloop *loop,
                                      uint64_t cid, const char *uds, char *err, size_t errlen)
{
    struct virtio_vsock *s = calloc(1, sizeof(*s));
    if (!s)
        return snprintf(err, errlen, "vsock: %s", strerror(ENOMEM)), NULL;
    s->cid = cid;
    s->listen_fd = -1;
    s->next_host_port = FIRST_HOST_PORT;
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        s->conns[i].fd = -1;
    snprintf(s->uds, sizeof(s->uds), "%s", uds ? uds : "");
    for (unsigned i = 0; i < 8; i++)
        s->config[i] = (uint8_t)(cid >> (8 * i));
    virtio_dev_init(&s->vdev, &vsock_ops, s, mem, s->config, sizeof(s->config));
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        snprintf(err, errlen, "vsock: epoll: %s", strerror(errno));
        goto fail;
    }
    if (s->uds[0] && vsock_listen(s, err, errlen) < 0)
        goto fail;
    if (loop && evloop_add_fd(loop, s->epfd, vsock_on_events, s) < 0) {
        snprintf(err, errlen, "vsock: watching it: %s", strerror(errno));
        goto fail;
    }
    s->loop = loop;
    return s;
fail:
    virtio_vsock_free(s);
    return NULL;
}

void virtio_vsock_free(struct virtio_vsock *s)
{
    if (!s)
        return;
    if (s->loop)
        evloop_remove_fd(s->loop, s->epfd);
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        if (s->conns[i].state != VC_FREE)
            vsock_conn_close(s, &s->conns[i]);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        unlink(s->uds);
    }
    if (s->epfd >= 0)
        close(s->epfd);
    pthread_mutex_destroy(&s->vdev.lock);
    free(s);
}
