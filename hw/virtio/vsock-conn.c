/* virtio-vsock's connections: the operations of virtio 1.2, 5.10.6.4-5.10.6.6 per connection,
 * outgoing connections to "<uds>_<port>" (Firecracker's docs/vsock.md) and the "OK <port>\n" that
 * completes a host-initiated one. */
#include "hw/virtio/vsock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>


uint32_t vsock_conn_credit(const struct vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

void vsock_conn_watch(struct virtio_vsock *s, struct vsock_conn *c, bool on)
{
    if (c->fd < 0 || c->watched == on)
        return;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(c - s->conns) };
    epoll_ctl(s->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->fd, &ev);
    c->watched = on;
}

void vsock_conn_close(struct virtio_vsock *s, struct vsock_conn *c)
{
    vsock_conn_watch(s, c, false);
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->state = VC_FREE;
}

struct vsock_conn *vsock_conn_new(struct virtio_vsock *s, int fd)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
        struct vsock_conn *c = &s->conns[i];
        if (c->state == VC_FREE) {
            memset(c, 0, sizeof(*c));
            c->fd = fd;
            return c;
        }
    }
    return NULL;
}

static struct vsock_conn *conn_find(struct virtio_vsock *s, uint32_t host_port, uint32_t guest_port)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
        struct vsock_conn *c = &s->conns[i];
        if (c->state > VC_HANDSHAKE && c->host_port == host_port && c->guest_port == guest_port)
            return c;
    }
    return NULL;
}

/* All of buf to the host socket, waiting up to a second at a time for a slow reader. */
static int write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            if (poll(&p, 1, 1000) <= 0)
                return -ETIMEDOUT;
            continue;
        }
        if (w <= 0)
            return -EIO;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

long vsock_conn_read(struct virtio_vsock *s, struct vsock_conn *c, uint8_t *dst, uint32_t room)
{
    (void)s;
    ssize_t n = recv(c->fd, dst, room, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return n > 0 ? n : -1;
}

/* The guest connects to host port h->dst_port: "<uds>_<port>". */
static void connect_out(struct virtio_vsock *s, const struct vsock_hdr *h)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = -1;
    struct vsock_conn *c = NULL;
    if (s->uds[0] && snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", s->uds, h->dst_port) <
                         (int)sizeof(a.sun_path))
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || !(c = vsock_conn_new(s, fd))) {
        if (fd >= 0)
            close(fd);
        vsock_send_rst_for_locked(s, h);
        return;
    }
    c->state = VC_ESTABLISHED;
    c->host_port = h->dst_port;
    c->guest_port = h->src_port;
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    vsock_send_ctl_locked(s, c, VSOCK_OP_RESPONSE, 0);
    vsock_conn_watch(s, c, true);
}

static void reset_conn(struct virtio_vsock *s, struct vsock_conn *c)
{
    vsock_send_ctl_locked(s, c, VSOCK_OP_RST, 0);
    vsock_conn_close(s, c);
}

static void on_rw(struct virtio_vsock *s, struct vsock_conn *c, const struct vsock_hdr *h,
                  const uint8_t *data)
{
    if (write_all(c->fd, data, h->len) < 0) {
        reset_conn(s, c);              /* the host side stopped reading or went away */
        return;
    }
    c->fwd_cnt += h->len;
    if (c->fwd_cnt - c->fwd_reported >= VSOCK_BUF_ALLOC / 4)
        vsock_send_ctl_locked(s, c, VSOCK_OP_CREDIT_UPDATE, 0);
}

static void on_response(struct virtio_vsock *s, struct vsock_conn *c)
{
    char ok[32];
    int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);
    c->state = VC_ESTABLISHED;
    if (write_all(c->fd, (const uint8_t *)ok, (size_t)n) < 0)
        reset_conn(s, c);
    else
        vsock_conn_watch(s, c, !s->rx_starved);
}

void vsock_handle_locked(struct virtio_vsock *s, const struct vsock_hdr *h, const uint8_t *data)
{
    if (h->type != VSOCK_TYPE_STREAM || h->src_cid != s->cid || h->dst_cid != VSOCK_HOST_CID) {
        vsock_send_rst_for_locked(s, h);
        return;
    }
    struct vsock_conn *c = conn_find(s, h->dst_port, h->src_port);
    if (!c) {
        if (h->op == VSOCK_OP_REQUEST)
            connect_out(s, h);
        else
            vsock_send_rst_for_locked(s, h);
        return;
    }
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    bool est = c->state == VC_ESTABLISHED;
    switch (h->op) {
    case VSOCK_OP_RESPONSE:
        if (c->state == VC_REQUESTED)
            return on_response(s, c);
        return reset_conn(s, c);
    case VSOCK_OP_RW:
        if (est)
            return on_rw(s, c, h, data);
        return reset_conn(s, c);
    case VSOCK_OP_CREDIT_REQUEST:
        if (est)
            vsock_send_ctl_locked(s, c, VSOCK_OP_CREDIT_UPDATE, 0);
        break;
    case VSOCK_OP_CREDIT_UPDATE:
        break;
    case VSOCK_OP_SHUTDOWN:
        if ((h->flags & 3) == 3 || !est)
            return reset_conn(s, c);
        if (h->flags & 2)              /* the guest sends no more */
            shutdown(c->fd, SHUT_WR);
        break;
    case VSOCK_OP_RST:
        return vsock_conn_close(s, c);
    default:                           /* REQUEST on a live connection, unknown ops */
        return reset_conn(s, c);
    }
    if (est && vsock_conn_credit(c) && !s->rx_starved)
        vsock_conn_watch(s, c, true);
}
