/* The user backend's two frame queues (net/slirp-loop.h): the guest's frames waiting for slirp,
 * and slirp's frames waiting for the device: passed on at once, through the coalescer while the
 * guest takes GSO frames (net/coalesce.c), or kept in a bounded backlog while the guest has no
 * receive buffer. */
#include "net/slirp-loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct frame *frame_new(const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    struct frame *f = malloc(sizeof(*f) + len);
    if (!f)
        return NULL;
    f->next = NULL;
    f->len = 0;
    f->hdr = false;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(f->data + f->len, iov[i].iov_base, iov[i].iov_len);
        f->len += iov[i].iov_len;
    }
    return f;
}

static void list_put(struct frame_list *l, struct frame *f)
{
    if (l->tail)
        l->tail->next = f;
    else
        l->head = f;
    l->tail = f;
    l->n++;
    l->bytes += f->len;
}

struct frame *frame_list_take(struct frame_list *l)
{
    struct frame *f = l->head;
    if (f) {
        l->head = f->next;
        if (!l->head)
            l->tail = NULL;
        l->n--;
        l->bytes -= f->len;
    }
    return f;
}

void frame_list_free(struct frame_list *l)
{
    struct frame *f;
    while ((f = frame_list_take(l)))
        free(f);
}

/* Whether a frame of len more bytes fits in l. */
static bool room(const struct frame_list *l, size_t len)
{
    return l->n < SLIRP_QUEUE_MAX && len <= SLIRP_QUEUE_BYTES - l->bytes;
}

int slirp_loop_queue_tx(struct slirp_loop *s, const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    pthread_mutex_lock(&s->lock);
    bool full = !room(&s->tx, len);
    pthread_mutex_unlock(&s->lock);
    if (full)
        return -ENOBUFS;
    struct frame *f = frame_new(iov, iovcnt);
    if (!f)
        return -ENOMEM;
    pthread_mutex_lock(&s->lock);
    bool was_empty = !s->tx.n;
    list_put(&s->tx, f);
    pthread_mutex_unlock(&s->lock);
    if (was_empty)
        slirp_loop_kick(s);
    return 0;
}

/* A frame to the device; hdr: its virtio_net_hdr, apart (a coalesced frame). */
static int offer(struct slirp_loop *s, const uint8_t *hdr, const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };
    if (hdr)
        return s->peer.receive_hdr ? s->peer.receive_hdr(s->peer.opaque, 0, hdr, &iov, 1) : 0;
    return s->peer.receive(s->peer.opaque, 0, &iov, 1);
}

/* The coalescer's output (and slirp's frames while the guest takes no GSO): to the device now,
 * or behind what waits in the backlog. */
void slirp_loop_deliver_now(void *opaque, const uint8_t *hdr, const uint8_t *frame, size_t len)
{
    struct slirp_loop *s = opaque;
    if (!s->backlog.n && offer(s, hdr, frame, len) != -EAGAIN)
        return;
    struct iovec iov[2];
    int n = 0;
    if (hdr)
        iov[n++] = (struct iovec){ (void *)hdr, NET_HDR_LEN };
    iov[n++] = (struct iovec){ (void *)frame, len };
    struct frame *f = room(&s->backlog, len + (hdr ? NET_HDR_LEN : 0)) ? frame_new(iov, n) : NULL;
    if (f) {
        f->hdr = hdr != NULL;
        list_put(&s->backlog, f);
    } else {
        s->dropped++;
    }
}

void slirp_loop_deliver(struct slirp_loop *s, const void *buf, size_t len)
{
    unsigned gso = atomic_load_explicit(&s->gso, memory_order_relaxed);
    if (gso) {
        s->co.allow = gso;
        coalesce_frame(&s->co, buf, len);
        return;
    }
    coalesce_flush(&s->co);            /* the guest just stopped taking GSO: what waits goes first */
    slirp_loop_deliver_now(s, NULL, buf, len);
}

int slirp_loop_set_offload(struct net_backend *nb, bool csum, bool tso4, bool tso6)
{
    unsigned gso = (csum && tso4 ? COALESCE_V4 : 0) | (csum && tso6 ? COALESCE_V6 : 0);
    atomic_store(&((struct slirp_loop *)nb)->gso, gso);
    return 0;
}

void slirp_loop_flush_backlog(struct slirp_loop *s)
{
    struct frame *f;
    while ((f = s->backlog.head)) {
        size_t at = f->hdr ? NET_HDR_LEN : 0;
        if (offer(s, f->hdr ? f->data : NULL, f->data + at, f->len - at) == -EAGAIN)
            return;
        free(frame_list_take(&s->backlog));
    }
}
