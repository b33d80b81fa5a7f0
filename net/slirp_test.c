/* The user backend (net/slirp.c, net/slirp-loop.c) with a fake device on the other side: an ARP
 * request for the gateway is answered through the net thread; a frame the device cannot take
 * yet waits in the backlog until it can; a hostfwd rule listens on the host, and a connection
 * to it makes slirp look for the guest (a frame toward it). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/net.h"
#include "net/slirp-loop.h"

struct peer {
    pthread_mutex_t lock;
    int refuse;                        /* answer -EAGAIN this many times */
    int frames;
    uint8_t last[1600];
    size_t last_len;
};

static int receive(void *opaque, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct peer *p = opaque;
    (void)q;
    assert_int_equal(iovcnt, 1);
    pthread_mutex_lock(&p->lock);
    int r = 0;
    if (p->refuse > 0) {
        p->refuse--;
        r = -EAGAIN;
    } else {
        p->frames++;
        p->last_len = iov[0].iov_len < sizeof(p->last) ? iov[0].iov_len : sizeof(p->last);
        memcpy(p->last, iov[0].iov_base, p->last_len);
    }
    pthread_mutex_unlock(&p->lock);
    return r;
}

static int frames(struct peer *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->frames;
    pthread_mutex_unlock(&p->lock);
    return n;
}

static bool wait_frames(struct peer *p, int n)
{
    for (int i = 0; i < 300; i++) {
        if (frames(p) >= n)
            return true;
        usleep(10000);
    }
    return false;
}

/* Who has 10.0.2.2? tell 10.0.2.15, from 52:54:00:12:34:56. */
static void send_arp(struct net_backend *nb)
{
    uint8_t f[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06,
                      0, 1, 0x08, 0, 6, 4, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 10, 0, 2, 15,
                      0, 0, 0, 0, 0, 0, 10, 0, 2, 2 };
    struct iovec iov = { f, sizeof(f) };
    assert_int_equal(nb->ops->send(nb, 0, &iov, 1), 0);
}

static uint16_t free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void arp_backlog_and_hostfwd(void **state)
{
    (void)state;
    struct net_config c = { .kind = NET_USER, .queues = 1, .nfwds = 1 };
    uint16_t port = free_port();
    c.fwds[0] = (struct net_fwd){ .host_addr = htonl(INADDR_LOOPBACK), .host_port = port, .guest_port = 22 };
    char err[256] = "";
    struct net_backend *nb = net_backend_new(&c, err, sizeof(err));
    assert_non_null(nb);
    assert_false(nb->vnet_hdr);
    struct peer p = { .lock = PTHREAD_MUTEX_INITIALIZER, .refuse = 1 << 30 };
    struct net_peer np = { .receive = receive, .opaque = &p };
    assert_int_equal(nb->ops->start(nb, &np), 0);

    send_arp(nb);                      /* no buffers: the reply waits in the backlog */
    usleep(200000);
    assert_int_equal(frames(&p), 0);
    pthread_mutex_lock(&p.lock);
    p.refuse = 0;                      /* buffers posted */
    pthread_mutex_unlock(&p.lock);
    nb->ops->rx_ready(nb, 0);
    assert_true(wait_frames(&p, 1));
    assert_int_equal(p.last[12], 0x08);
    assert_int_equal(p.last[13], 0x06);                 /* ARP */
    assert_int_equal(p.last[21], 2);                    /* reply */
    assert_memory_equal(p.last + 28, "\x0a\x00\x02\x02", 4);   /* 10.0.2.2 is at ... */

    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);   /* hostfwd listens */
    assert_true(wait_frames(&p, 2));   /* slirp reaches toward the guest */
    close(s);
    net_backend_free(nb);
}

static void bad_hostfwd_is_refused(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 1), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    struct net_config c = { .kind = NET_USER, .queues = 1, .nfwds = 1 };
    c.fwds[0] = (struct net_fwd){ .host_addr = htonl(INADDR_LOOPBACK), .host_port = ntohs(a.sin_port),
                                  .guest_port = 22 };
    char err[256] = "";
    assert_null(net_backend_new(&c, err, sizeof(err)));   /* the port is taken */
    assert_non_null(strstr(err, "hostfwd"));
    close(s);
}

/* libslirp's state through the backend's save/load: a save loads into another Slirp (and into one
 * whose thread runs); bytes it would not write (another version, a socket record, another length)
 * are refused before libslirp reads them. */
static void state_save_load(void **state)
{
    (void)state;
    struct net_config c = { .kind = NET_USER, .queues = 1 };
    char err[256] = "";
    struct net_backend *a = net_backend_new(&c, err, sizeof(err)), *b = net_backend_new(&c, err, sizeof(err));
    assert_non_null(a);
    assert_non_null(b);
    struct peer p = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct net_peer np = { .receive = receive, .opaque = &p };
    assert_int_equal(a->ops->start(a, &np), 0);
    send_arp(a);
    assert_true(wait_frames(&p, 1));   /* the thread runs across the save */
    uint8_t *buf = NULL;
    size_t len = 0;
    uint32_t ver = 0;
    assert_int_equal(a->ops->save(a, &buf, &len, &ver), 0);
    assert_true(len > 1);
    assert_int_equal(buf[0], 0);       /* no socket record */
    assert_int_equal(b->ops->load(b, ver, buf, len), 0);
    assert_int_equal(a->ops->load(a, ver, buf, len), 0);   /* into the running one */
    send_arp(a);
    assert_true(wait_frames(&p, 2));   /* and it still answers */
    assert_int_equal(b->ops->load(b, ver + 1, buf, len), -EINVAL);
    assert_int_equal(b->ops->load(b, ver, buf, len - 1), -EINVAL);
    assert_int_equal(b->ops->load(b, ver, buf, 0), -EINVAL);
    buf[0] = 42;                       /* a guestfwd socket would follow */
    assert_int_equal(b->ops->load(b, ver, buf, len), -EINVAL);
    free(buf);
    net_backend_free(a);
    net_backend_free(b);
}

/* The guest's frames waiting for slirp are bounded in bytes as well as in count: 64 KiB TSO frames
 * stop at SLIRP_QUEUE_BYTES (the net thread is not running, so nothing drains). */
static void tx_queue_bounded_in_bytes(void **state)
{
    (void)state;
    struct slirp_loop *s = slirp_loop_new();
    assert_non_null(s);
    static uint8_t big[65536];
    struct iovec iov = { big, sizeof(big) };
    unsigned fit = SLIRP_QUEUE_BYTES / sizeof(big);
    for (unsigned i = 0; i < fit; i++)
        assert_int_equal(slirp_loop_queue_tx(s, &iov, 1), 0);
    assert_int_equal(slirp_loop_queue_tx(s, &iov, 1), -ENOBUFS);
    iov.iov_len = 1;
    assert_int_equal(slirp_loop_queue_tx(s, &iov, 1), -ENOBUFS);
    slirp_loop_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arp_backlog_and_hostfwd),
        cmocka_unit_test(bad_hostfwd_is_refused),
        cmocka_unit_test(state_save_load),
        cmocka_unit_test(tx_queue_bounded_in_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
