/* The user backend's net thread (net/slirp-loop.c): slirp's sockets and timers, the queue of the
 * guest's frames waiting for slirp, and the backlog of slirp's frames waiting for the guest
 * (net/slirp-frames.c). */
#ifndef VMON_NET_SLIRP_LOOP_H
#define VMON_NET_SLIRP_LOOP_H

#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdatomic.h>

#include "net/coalesce.h"
#include "net/net.h"

#define SLIRP_QUEUE_MAX 1024           /* frames held in each direction before dropping */
#define SLIRP_QUEUE_BYTES (8u << 20)   /* and bytes: a frame may be a 64 KiB GSO frame, and a guest
                                        * that posts no buffers must not make vmon hold 64 MiB */

struct frame {
    struct frame *next;
    size_t len;
    bool hdr;                          /* data starts with a virtio_net_hdr (a coalesced frame) */
    uint8_t data[];
};

struct frame_list {
    struct frame *head, *tail;
    unsigned n;
    size_t bytes;                      /* the frames' len, summed */
};

struct slirp_timer;

/* Threads: send() callers (the device's, any) take lock for tx; everything else is the net
 * thread's, or the creator's before start and after stop. */
struct slirp_loop {
    struct net_backend nb;             /* first: the backend is this struct */
    Slirp *slirp;
    struct net_peer peer;
    pthread_t thread;
    bool running;
    int wake_fd;                       /* eventfd: tx queued, rx buffers posted, stop */
    pthread_mutex_t lock;
    struct frame_list tx;              /* guest -> slirp (lock) */
    bool stop;                         /* (lock) */
    struct frame_list backlog;         /* slirp -> guest, waiting for buffers */
    struct slirp_timer *timers;
    struct pollfd *pfds;
    unsigned npfds, cap;
    struct coalesce co;                /* slirp -> guest TCP segments merged within a round */
    atomic_uint gso;                   /* which it takes: COALESCE_V4 | _V6 (set_offload) */
    bool warned;                       /* a guest error was logged */
    unsigned long dropped;             /* frames dropped for want of room */
};

struct slirp_loop *slirp_loop_new(void);
void slirp_loop_destroy(struct slirp_loop *s);   /* after stop; the Slirp is the caller's */
int slirp_loop_start(struct slirp_loop *s, const struct net_peer *peer);
void slirp_loop_stop(struct slirp_loop *s);
void slirp_loop_kick(struct slirp_loop *s);
/* Stop the net thread (so the Slirp may be used from this one) and start it again; pause returns
 * whether it ran, to hand to resume. Frames queued meanwhile wait. */
bool slirp_loop_pause(struct slirp_loop *s);
int slirp_loop_resume(struct slirp_loop *s, bool was_running);
/* net/slirp-state.c: the user backend's save / load ops (net/net.h). */
int slirp_backend_save(struct net_backend *nb, uint8_t **buf, size_t *len, uint32_t *version);
int slirp_backend_load(struct net_backend *nb, uint32_t version, const uint8_t *buf, size_t len);
/* A guest frame for slirp (copied); -ENOBUFS when the queue is full. Any thread. */
int slirp_loop_queue_tx(struct slirp_loop *s, const struct iovec *iov, int iovcnt);
/* A slirp frame for the guest: now, or into the backlog, or into the coalescer while the guest
 * takes GSO frames (what it holds goes before the net thread sleeps). Net thread. */
void slirp_loop_deliver(struct slirp_loop *s, const void *buf, size_t len);
/* net/slirp-frames.c, for the net thread's loop: one frame (hdr: its virtio_net_hdr, or NULL) to
 * the device now or behind the backlog (the coalescer's output); the backlog to the device, as
 * far as its buffers go; a queue emptied. */
void slirp_loop_deliver_now(void *opaque, const uint8_t *hdr, const uint8_t *frame, size_t len);
void slirp_loop_flush_backlog(struct slirp_loop *s);
struct frame *frame_list_take(struct frame_list *l);   /* the first frame, or NULL */
void frame_list_free(struct frame_list *l);
/* set_offload (net/net.h): which GSO frames the guest takes (csum and tso4, tso6). Any thread. */
int slirp_loop_set_offload(struct net_backend *nb, bool csum, bool tso4, bool tso6);

void *slirp_loop_timer_new(struct slirp_loop *s, SlirpTimerCb cb, void *cb_opaque);
void slirp_loop_timer_free(struct slirp_loop *s, void *timer);
void slirp_loop_timer_mod(void *timer, int64_t expire_ms);

#endif
