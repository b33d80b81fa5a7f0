/* The user-mode backend: libslirp (Debian's libslirp0) as QEMU's -netdev user uses it: the guest
 * sees 10.0.2.0/24 with the gateway/host at 10.0.2.2, DNS at 10.0.2.3 and DHCP from 10.0.2.15;
 * hostfwd= rules listen on the host; restrict=on keeps the guest inside that network; tftp= and
 * bootfile= serve a PXE boot (slirp's TFTP server, DHCP's boot file name).
 * libslirp is not thread-safe, so one net thread owns the Slirp: it polls slirp's sockets and an
 * eventfd, runs slirp's timers, feeds it the guest's frames (queued by send() on any thread) and
 * hands slirp's frames to the device. Frames the guest has no buffer for wait in a bounded
 * backlog (then are dropped: slirp's TCP retransmits). */
#include "net/net.h"
#include "net/slirp-loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cb_clock(void *opaque)
{
    (void)opaque;
    return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    return slirp_loop_timer_new(opaque, cb, cb_opaque);
}

static void cb_timer_free(void *timer, void *opaque)
{
    slirp_loop_timer_free(opaque, timer);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    slirp_loop_timer_mod(timer, expire_ms);
}

static void cb_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;                      /* poll() takes slirp's set afresh each round */
}

static void cb_notify(void *opaque)
{
    slirp_loop_kick(opaque);
}

static void cb_guest_error(const char *msg, void *opaque)
{
    struct slirp_loop *s = opaque;
    if (!s->warned)
        fprintf(stderr, "vmon: net user: the guest sent a bad frame: %s\n", msg);
    s->warned = true;
}

/* slirp -> guest, on the net thread. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    slirp_loop_deliver(opaque, buf, len);
    return (ssize_t)len;
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_fd,
    .unregister_poll_fd = cb_fd,
    .notify = cb_notify,
};

static struct in_addr ip4(const char *s)
{
    struct in_addr a;
    inet_pton(AF_INET, s, &a);
    return a;
}

static struct in6_addr ip6(const char *s)
{
    struct in6_addr a;
    inet_pton(AF_INET6, s, &a);
    return a;
}

static int add_fwds(struct slirp_loop *s, const struct net_config *c, char *err, size_t errlen)
{
    for (int i = 0; i < c->nfwds; i++) {
        const struct net_fwd *f = &c->fwds[i];
        struct in_addr host = { f->host_addr }, guest = { f->guest_addr };
        if (slirp_add_hostfwd(s->slirp, f->udp, host, f->host_port, guest, f->guest_port) < 0) {
            snprintf(err, errlen, "hostfwd %s port %u: cannot listen: %s", f->udp ? "udp" : "tcp",
                     f->host_port, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int op_start(struct net_backend *nb, const struct net_peer *peer)
{
    return slirp_loop_start((struct slirp_loop *)nb, peer);
}

static int op_send(struct net_backend *nb, unsigned q, const struct iovec *iov, int iovcnt)
{
    (void)q;
    return slirp_loop_queue_tx((struct slirp_loop *)nb, iov, iovcnt);
}

static void op_rx_ready(struct net_backend *nb, unsigned q)
{
    (void)q;
    slirp_loop_kick((struct slirp_loop *)nb);
}

static void op_free(struct net_backend *nb)
{
    struct slirp_loop *s = (struct slirp_loop *)nb;
    slirp_loop_stop(s);
    if (s->slirp)
        slirp_cleanup(s->slirp);
    slirp_loop_destroy(s);
}

static const struct net_backend_ops slirp_ops = {
    .name = "user",
    .start = op_start,
    .send = op_send,
    .rx_ready = op_rx_ready,
    .set_offload = slirp_loop_set_offload,
    .free = op_free,
    .save = slirp_backend_save,
    .load = slirp_backend_load,
};

struct net_backend *net_slirp_new(const struct net_config *c, char *err, size_t errlen)
{
    struct slirp_loop *s = slirp_loop_new();
    if (!s) {
        snprintf(err, errlen, "net user: %s", strerror(errno));
        return NULL;
    }
    s->nb.ops = &slirp_ops;
    s->nb.csum_valid = true;
    s->nb.rx_coalesce = true;          /* TCP segments to the guest as GSO frames (net/coalesce.c) */
    s->nb.pairs = 1;
    s->nb.mtu = c->mtu;
    SlirpConfig cfg = {
        .version = 1,
        .restricted = c->restricted,
        .in_enabled = true,
        .vnetwork = ip4("10.0.2.0"),
        .vnetmask = ip4("255.255.255.0"),
        .vhost = ip4("10.0.2.2"),
        .vdhcp_start = ip4("10.0.2.15"),
        .vnameserver = ip4("10.0.2.3"),
        .in6_enabled = !c->no_ipv6,    /* QEMU's defaults: fec0::/64, the host fec0::2, DNS fec0::3 */
        .vprefix_addr6 = ip6("fec0::"),
        .vprefix_len = 64,
        .vhost6 = ip6("fec0::2"),
        .vnameserver6 = ip6("fec0::3"),
        .vhostname = "vmon",
        .if_mtu = s->nb.mtu ? s->nb.mtu : 1500,
        .if_mru = s->nb.mtu ? s->nb.mtu : 1500,
        .tftp_path = c->tftp[0] ? c->tftp : NULL,         /* PXE: TFTP at 10.0.2.2 */
        .bootfile = c->bootfile[0] ? c->bootfile : NULL,  /* named by DHCP's boot file field */
    };
    s->slirp = slirp_new(&cfg, &callbacks, s);
    if (!s->slirp) {
        snprintf(err, errlen, "net user: libslirp refused its configuration");
        slirp_loop_destroy(s);
        return NULL;
    }
    if (add_fwds(s, c, err, errlen) < 0) {
        op_free(&s->nb);
        return NULL;
    }
    return &s->nb;
}
