/* The event-loop thread: one epoll set for host fds, a timerfd per device timer, an eventfd to stop. */
#include "util/eventloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* One registered fd. Watches live until evloop_free (or evloop_remove_fd marks them dead), so a
 * pointer epoll hands back is always valid on the loop thread. */
struct watch {
    int fd;
    _Atomic bool dead;       /* set by evloop_remove_fd from any thread */
    void (*cb)(void *opaque);
    void *opaque;
    struct watch *next;
};

struct evloop {
    int epfd;
    int stopfd;                /* eventfd: written by evloop_stop */
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;      /* protects the watch list (add/remove from other threads) */
    struct watch *watches;
    struct watch stop_watch;
};

struct evtimer {
    struct evloop *loop;
    int fd;                    /* timerfd, CLOCK_MONOTONIC, absolute deadlines */
    void (*cb)(void *opaque);
    void *opaque;
    struct watch *w;
};

uint64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct evloop *evloop_new(void)
{
    struct evloop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->epfd < 0 || l->stopfd < 0) {
        int e = errno;
        if (l->epfd >= 0)
            close(l->epfd);
        if (l->stopfd >= 0)
            close(l->stopfd);
        free(l);
        errno = e;
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    l->stop_watch.fd = l->stopfd;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->stop_watch };
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev);
    return l;
}

static void *evloop_thread(void *arg)
{
    struct evloop *l = arg;
    struct epoll_event evs[16];
    for (;;) {
        int n = epoll_wait(l->epfd, evs, 16, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            struct watch *w = evs[i].data.ptr;
            if (w == &l->stop_watch)
                return NULL;
            if (!w->dead)
                w->cb(w->opaque);
        }
    }
}

int evloop_start(struct evloop *l)
{
    int r = pthread_create(&l->thread, NULL, evloop_thread, l);
    if (r)
        return -r;
    l->running = true;
    return 0;
}

void evloop_stop(struct evloop *l)
{
    if (!l->running)
        return;
    uint64_t one = 1;
    if (write(l->stopfd, &one, sizeof(one)) < 0) {
        /* An eventfd write only fails when the counter would overflow: already signalled. */
    }
    pthread_join(l->thread, NULL);
    l->running = false;
}

void evloop_free(struct evloop *l)
{
    if (!l)
        return;
    evloop_stop(l);
    struct watch *w = l->watches;
    while (w) {
        struct watch *next = w->next;
        free(w);
        w = next;
    }
    close(l->epfd);
    close(l->stopfd);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static struct watch *add_watch(struct evloop *l, int fd, void (*cb)(void *), void *opaque)
{
    struct watch *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->fd = fd;
    w->cb = cb;
    w->opaque = opaque;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        free(w);
        errno = e;
        return NULL;
    }
    pthread_mutex_lock(&l->lock);
    w->next = l->watches;
    l->watches = w;
    pthread_mutex_unlock(&l->lock);
    return w;
}

int evloop_add_fd(struct evloop *l, int fd, void (*cb)(void *opaque), void *opaque)
{
    return add_watch(l, fd, cb, opaque) ? 0 : -errno;
}

void evloop_remove_fd(struct evloop *l, int fd)
{
    pthread_mutex_lock(&l->lock);
    for (struct watch *w = l->watches; w; w = w->next) {
        if (w->fd == fd && !w->dead) {
            w->dead = true;
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        }
    }
    pthread_mutex_unlock(&l->lock);
}

/* Runs on the loop thread when the timerfd expires. A read of EAGAIN means the timer was re-armed
 * or disarmed after it fired: the old expiry no longer counts. */
static void evtimer_fire(void *opaque)
{
    struct evtimer *t = opaque;
    uint64_t expirations;
    if (read(t->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
        return;
    t->cb(t->opaque);
}

struct evtimer *evtimer_new(struct evloop *l, void (*cb)(void *opaque), void *opaque)
{
    struct evtimer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->loop = l;
    t->cb = cb;
    t->opaque = opaque;
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (t->fd < 0 || !(t->w = add_watch(l, t->fd, evtimer_fire, t))) {
        int e = errno;
        if (t->fd >= 0)
            close(t->fd);
        free(t);
        errno = e;
        return NULL;
    }
    return t;
}

void evtimer_arm(struct evtimer *t, uint64_t deadline_ns)
{
    struct itimerspec its = { 0 };
    if (deadline_ns) {
        /* A zero it_value disarms, so a deadline in the past still needs a non-zero value. */
        its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
        its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
    }
    timerfd_settime(t->fd, deadline_ns ? TFD_TIMER_ABSTIME : 0, &its, NULL);
}

/* Call after evloop_stop (or from the loop thread): the callback must not be running. */
void evtimer_free(struct evtimer *t)
{
    if (!t)
        return;
    evloop_remove_fd(t->loop, t->fd);
    close(t->fd);
    free(t);
}
