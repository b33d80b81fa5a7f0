/* The tap backend: a Linux tap interface (Documentation/networking/tuntap.rst) opened with
 * IFF_VNET_HDR, so frames carry the 12-byte virtio-net header and checksum/TSO offloads pass
 * between the guest and the host kernel untouched (TUNSETVNETHDRSZ, TUNSETOFFLOAD), and with
 * IFF_MULTI_QUEUE for more than one queue pair (one fd per pair). An interface that does not
 * exist is created (root or CAP_NET_ADMIN) and brought up; it goes away when vmon exits.
 * A net thread polls the fds; a frame the guest has no buffer for is held and that fd is not
 * read until the device says buffers were posted. vhost-net is not used: the data path is this
 * thread (vmon says so in one line). */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAP_BUF (NET_HDR_LEN + NET_MAX_FRAME)

struct tap {
    struct net_backend nb;             /* first */
    int fds[NET_MAX_PAIRS];
    int wake_fd;
    struct net_peer peer;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    uint8_t *held[NET_MAX_PAIRS];      /* a frame waiting for guest buffers (net thread) */
    size_t held_len[NET_MAX_PAIRS];
    uint8_t *buf;                      /* TAP_BUF bytes (net thread) */
};

static void kick(struct tap *t)
{
    uint64_t one = 1;
    if (write(t->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return;
}

static int offer(struct tap *t, unsigned q, const uint8_t *p, size_t n)
{
    struct iovec iov = { (void *)p, n };
    return t->peer.receive(t->peer.opaque, q, &iov, 1);
}

/* Reads what fd q has (a bounded number of frames per round, so one busy queue cannot starve
 * the others); a frame the guest cannot take yet is held. */
static void drain(struct tap *t, unsigned q)
{
    for (int i = 0; i < 64 && !t->held[q]; i++) {
        ssize_t n = read(t->fds[q], t->buf, TAP_BUF);
        if (n <= 0)
            return;
        if (offer(t, q, t->buf, (size_t)n) != -EAGAIN)
            continue;
        if ((t->held[q] = malloc((size_t)n))) {
            memcpy(t->held[q], t->buf, (size_t)n);
            t->held_len[q] = (size_t)n;
        }
    }
}

static void retry_held(struct tap *t)
{
    for (unsigned q = 0; q < t->nb.pairs; q++)
        if (t->held[q] && offer(t, q, t->held[q], t->held_len[q]) != -EAGAIN) {
            free(t->held[q]);
            t->held[q] = NULL;
        }
}

static void *tap_main(void *opaque)
{
    struct tap *t = opaque;
    struct pollfd p[NET_MAX_PAIRS + 1];
    while (!atomic_load(&t->stop)) {
        retry_held(t);
        p[0] = (struct pollfd){ .fd = t->wake_fd, .events = POLLIN };
        for (unsigned q = 0; q < t->nb.pairs; q++)   /* fd -1: not polled while a frame waits */
            p[q + 1] = (struct pollfd){ .fd = t->held[q] ? -1 : t->fds[q], .events = POLLIN };
        if (poll(p, t->nb.pairs + 1, -1) < 0 && errno != EINTR)
            break;
        uint64_t n;
        if ((p[0].revents & POLLIN) && read(t->wake_fd, &n, sizeof(n)) < 0)
            n = 0;
        for (unsigned q = 0; q < t->nb.pairs; q++)
            if (p[q + 1].revents & POLLIN)
                drain(t, q);
    }
    return NULL;
}

static int op_start(struct net_backend *nb, const struct net_peer *peer)
{
    struct tap *t = (struct tap *)nb;
    t->peer = *peer;
    int r = pthread_create(&t->thread, NULL, tap_main, t);
    if (r)
        return -r;
    t->running = true;
    return 0;
}

static int op_send(struct net_backend *nb, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct tap *t = (struct tap *)nb;
    return writev(t->fds[q % nb->pairs], iov, iovcnt) < 0 ? -errno : 0;
}

static void op_rx_ready(struct net_backend *nb, unsigned q)
{
    (void)q;
    kick((struct tap *)nb);            /* the net thread retries what it holds */
}

static int op_set_offload(struct net_backend *nb, bool csum, bool tso4, bool tso6)
{
    struct tap *t = (struct tap *)nb;
    unsigned f = (csum ? TUN_F_CSUM : 0) | (csum && tso4 ? TUN_F_TSO4 : 0) |
                 (csum && tso6 ? TUN_F_TSO6 : 0);
    return ioctl(t->fds[0], TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

static void op_free(struct net_backend *nb)
{
    struct tap *t = (struct tap *)nb;
    if (t->running) {
        atomic_store(&t->stop, true);
        kick(t);
        pthread_join(t->thread, NULL);
    }
    for (unsigned q = 0; q < NET_MAX_PAIRS; q++) {
        if (t->fds[q] >= 0)
            close(t->fds[q]);
        free(t->held[q]);
    }
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    free(t->buf);
    free(t);
}

static const struct net_backend_ops tap_ops = {
    .name = "tap",
    .start = op_start,
    .send = op_send,
    .rx_ready = op_rx_ready,
    .set_offload = op_set_offload,
    .free = op_free,
};

/* Opens one queue of the interface; -errno. */
static int open_queue(const char *ifname, bool multi, bool *vnet)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    unsigned features = 0;
    if (ioctl(fd, TUNGETFEATURES, &features) < 0)
        features = 0;
    *vnet = features & IFF_VNET_HDR;
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (*vnet ? IFF_VNET_HDR : 0) |
                            (multi ? IFF_MULTI_QUEUE : 0));
    int hdr = NET_HDR_LEN;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 || (*vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) ||
        (*vnet && ioctl(fd, TUNSETOFFLOAD, 0) < 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int link_up(const char *ifname)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    r = r < 0 ? -errno : 0;
    close(s);
    return r;
}

struct net_backend *net_tap_new(const struct net_config *c, char *err, size_t errlen)
{
    struct tap *t = calloc(1, sizeof(*t));
    if (!t || !(t->buf = malloc(TAP_BUF))) {
        free(t);
        snprintf(err, errlen, "tap: %s", strerror(ENOMEM));
        return NULL;
    }
    for (unsigned q = 0; q < NET_MAX_PAIRS; q++)
        t->fds[q] = -1;
    t->nb.ops = &tap_ops;
    t->nb.pairs = c->queues ? c->queues : 1;
    t->nb.vnet_hdr = true;
    t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    bool existed = if_nametoindex(c->ifname) != 0;
    for (unsigned q = 0; q < t->nb.pairs; q++) {
        bool vnet = false;
        int fd = open_queue(c->ifname, t->nb.pairs > 1, &vnet);
        if (fd < 0) {
            snprintf(err, errlen, "tap %s: %s%s", c->ifname, strerror(-fd),
                     fd == -EPERM ? " (creating or opening a tap needs root or CAP_NET_ADMIN)" :
                     fd == -EINVAL || fd == -EBUSY ? " (in use, or not a tap with these flags)" : "");
            op_free(&t->nb);
            return NULL;
        }
        t->fds[q] = fd;
        t->nb.vnet_hdr = t->nb.vnet_hdr && vnet;
    }
    int r = existed ? 0 : link_up(c->ifname);
    if (r < 0)
        fprintf(stderr, "vmon: tap %s: created, but cannot bring it up: %s\n", c->ifname, strerror(-r));
    fprintf(stderr, "vmon: tap %s: %s: virtio-net's data path runs in vmon (userspace)\n", c->ifname,
            access("/dev/vhost-net", R_OK | W_OK) ? "no /dev/vhost-net" :
            "/dev/vhost-net is there but vmon does not drive it yet");
    return &t->nb;
}
