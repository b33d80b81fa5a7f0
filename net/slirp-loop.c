/* The user backend's net thread: one poll() over an eventfd and slirp's sockets
 * (libslirp.h: slirp_pollfds_fill / slirp_pollfds_poll) and slirp's timers in ms on
 * CLOCK_MONOTONIC; the frame queues between the device and slirp are net/slirp-frames.c's. */
#include "net/slirp-loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct slirp_timer {
    struct slirp_timer *next;
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;                 /* -1: disarmed */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


struct slirp_loop *slirp_loop_new(void)
{
    struct slirp_loop *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (coalesce_init(&s->co, slirp_loop_deliver_now, s) < 0) {
        free(s);
        return NULL;
    }
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->wake_fd < 0) {
        coalesce_destroy(&s->co);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void slirp_loop_destroy(struct slirp_loop *s)
{
    while (s->timers) {
        struct slirp_timer *t = s->timers;
        s->timers = t->next;
        free(t);
    }
    frame_list_free(&s->tx);
    frame_list_free(&s->backlog);
    coalesce_destroy(&s->co);
    close(s->wake_fd);
    pthread_mutex_destroy(&s->lock);
    free(s->pfds);
    free(s);
}

void slirp_loop_kick(struct slirp_loop *s)
{
    uint64_t one = 1;
    if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return;                        /* EAGAIN: the counter is full, the thread wakes anyway */
}


void *slirp_loop_timer_new(struct slirp_loop *s, SlirpTimerCb cb, void *cb_opaque)
{
    struct slirp_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    t->next = s->timers;
    s->timers = t;
    return t;
}

void slirp_loop_timer_free(struct slirp_loop *s, void *timer)
{
    for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next)
        if (*p == timer) {
            *p = ((struct slirp_timer *)timer)->next;
            free(timer);
            return;
        }
}

void slirp_loop_timer_mod(void *timer, int64_t expire_ms)
{
    if (timer)
        ((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

/* Runs every expired timer; a callback may re-arm or free timers, so the scan restarts. */
static void run_timers(struct slirp_loop *s)
{
    int64_t now = now_ms();
    for (struct slirp_timer *t = s->timers; t; t = t->next) {
        if (t->expire_ms >= 0 && t->expire_ms <= now) {
            t->expire_ms = -1;
            t->cb(t->cb_opaque);
            t = s->timers;
            if (!t)
                break;
        }
    }
}

static uint32_t timers_timeout(const struct slirp_loop *s)
{
    int64_t now = now_ms(), best = INT32_MAX;
    for (const struct slirp_timer *t = s->timers; t; t = t->next)
        if (t->expire_ms >= 0 && t->expire_ms - now < best)
            best = t->expire_ms > now ? t->expire_ms - now : 0;
    return best == INT32_MAX ? UINT32_MAX : (uint32_t)best;
}

static int add_poll(int fd, int events, void *opaque)
{
    struct slirp_loop *s = opaque;
    if (s->npfds == s->cap) {
        unsigned cap = s->cap ? s->cap * 2 : 16;
        struct pollfd *p = realloc(s->pfds, cap * sizeof(*p));
        if (!p)
            return -1;
        s->pfds = p;
        s->cap = cap;
    }
    short ev = 0;
    ev |= events & SLIRP_POLL_IN ? POLLIN : 0;
    ev |= events & SLIRP_POLL_OUT ? POLLOUT : 0;
    ev |= events & SLIRP_POLL_PRI ? POLLPRI : 0;
    s->pfds[s->npfds] = (struct pollfd){ .fd = fd, .events = ev };
    return (int)s->npfds++;
}

static int get_revents(int idx, void *opaque)
{
    struct slirp_loop *s = opaque;
    if (idx < 0 || (unsigned)idx >= s->npfds)
        return 0;
    short r = s->pfds[idx].revents;
    return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
           (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
           (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

/* One round: the guest's frames into slirp, held frames to the guest, then sleep in poll(). */
static bool loop_once(struct slirp_loop *s)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    struct frame_list tx = stop ? (struct frame_list){ 0 } : s->tx;
    if (!stop)
        s->tx = (struct frame_list){ 0 };
    pthread_mutex_unlock(&s->lock);
    if (stop)
        return false;                  /* the guest's frames stay queued: a pause goes on after */
    struct frame *f;
    while ((f = frame_list_take(&tx))) {
        slirp_input(s->slirp, f->data, (int)f->len);
        free(f);
    }
    coalesce_flush(&s->co);            /* what slirp sent this round goes now, not later */
    slirp_loop_flush_backlog(s);
    uint32_t timeout = timers_timeout(s);
    s->npfds = 0;
    add_poll(s->wake_fd, SLIRP_POLL_IN, s);
    slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
    int r = poll(s->pfds, s->npfds, timeout == UINT32_MAX ? -1 : (int)(timeout > INT_MAX ? INT_MAX : timeout));
    uint64_t n;
    if (s->npfds && (s->pfds[0].revents & POLLIN) && read(s->wake_fd, &n, sizeof(n)) < 0)
        n = 0;
    slirp_pollfds_poll(s->slirp, r < 0, get_revents, s);
    run_timers(s);
    coalesce_flush(&s->co);
    return true;
}

static void *loop_main(void *opaque)
{
    struct slirp_loop *s = opaque;
    while (loop_once(s))
        ;
    return NULL;
}

int slirp_loop_start(struct slirp_loop *s, const struct net_peer *peer)
{
    s->peer = *peer;
    int r = pthread_create(&s->thread, NULL, loop_main, s);
    if (r)
        return -r;
    s->running = true;
    return 0;
}

void slirp_loop_stop(struct slirp_loop *s)
{
    if (!s->running)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    slirp_loop_kick(s);
    pthread_join(s->thread, NULL);
    s->running = false;
}

bool slirp_loop_pause(struct slirp_loop *s)
{
    bool was = s->running;
    slirp_loop_stop(s);
    return was;
}

int slirp_loop_resume(struct slirp_loop *s, bool was_running)
{
    if (!was_running)
        return 0;
    pthread_mutex_lock(&s->lock);
    s->stop = false;
    pthread_mutex_unlock(&s->lock);
    return slirp_loop_start(s, &s->peer);
}
