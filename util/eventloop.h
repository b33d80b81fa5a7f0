/* The VM's event-loop thread (epoll): host-side I/O (stdin for the UART) and device timers. */
#ifndef VMON_UTIL_EVENTLOOP_H
#define VMON_UTIL_EVENTLOOP_H

#include <stdint.h>

struct evloop;
struct evtimer;

/* Callbacks run on the event-loop thread; a device takes its own lock inside them. */
struct evloop *evloop_new(void);
int evloop_start(struct evloop *l);     /* spawns the thread */
void evloop_stop(struct evloop *l);     /* joins it */
void evloop_free(struct evloop *l);
int evloop_add_fd(struct evloop *l, int fd, void (*cb)(void *opaque), void *opaque);
/* Stop watching fd (e.g. at EOF: a level-triggered fd at EOF would fire forever). Any thread. */
void evloop_remove_fd(struct evloop *l, int fd);

/* One-shot timers on CLOCK_MONOTONIC; re-arm from the callback for periodic ones.
 * evtimer_arm may be called from any thread; deadline 0 disarms. */
struct evtimer *evtimer_new(struct evloop *l, void (*cb)(void *opaque), void *opaque);
void evtimer_arm(struct evtimer *t, uint64_t deadline_ns);
void evtimer_free(struct evtimer *t);
uint64_t clock_now_ns(void);            /* CLOCK_MONOTONIC in ns */

#endif
