/* The host terminal as the guest's serial line, QEMU -nographic style: raw mode while the guest
 * runs, and the escapes of QEMU's docs/system/mux-chardev.rst: Ctrl-A x quits, Ctrl-A c switches to
 * the monitor and back (when one is attached), Ctrl-A h lists them, Ctrl-A Ctrl-A sends one Ctrl-A.
 * Typed bytes the UART cannot take yet wait here (flow control, serial_link.rx_room) rather than
 * being lost: a paste larger than its buffer arrives whole. Past sizeof(pend) stdin is left
 * unread until the guest catches up (so Ctrl-A x then waits too, as in QEMU).
 * Raw mode and putting the terminal back: hw/term-raw.c. */
#include "hw/stdio.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/eventloop.h"
#include "hw/serial.h"
#include "hw/term-raw.h"
#include "hw/term-lines.h"

#define ESCAPE_CHAR 0x01       /* Ctrl-A */

struct stdio_chr {
    struct evloop *loop;
    struct stop_link stop;
    struct serial *serial;
    int in_fd, out_fd;
    bool watching;             /* in_fd is on the loop */
    bool in_eof;               /* in_fd ended (or failed): never watched again */
    int room_fd;               /* eventfd: the UART has room again (stdio_chr_rx_room) */
    bool escape;               /* the previous byte was Ctrl-A */
    struct stdio_mux_link mux; /* the monitor, or none */
    pthread_mutex_t lock;      /* guards mux_focus, held[] and lines; held across writes to out_fd */
    struct term_lines lines;   /* COM1 and the VGA mirror on out_fd, each line whole */
    bool mux_focus;            /* typed bytes go to the monitor; guest output is held */
    size_t nheld;              /* guest output held while the monitor has the terminal (bytes) */
    uint8_t held[4096];        /* beyond it, output is dropped, as a line without flow control */
    size_t npend;              /* typed bytes the UART has not taken yet (loop thread only) */
    uint8_t pend[65536];
};

#define READ_CHUNK 256         /* one read of stdin; with a pending Ctrl-A it yields one more byte */

void stdio_chr_write(struct stdio_chr *c, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(c->out_fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;            /* other errors (a closed pipe) drop the text, as a line would */
        buf += w;
        n -= (size_t)w;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stdio_chr_tx(void *opaque, uint8_t byte)
{
    struct stdio_chr *c = opaque;
    pthread_mutex_lock(&c->lock);
    if (c->mux_focus) {
        if (c->nheld < sizeof(c->held))
            c->held[c->nheld++] = byte;
    } else {
        if (term_lines_main(&c->lines, byte, now_ns()))
            stdio_chr_write(c, "\r\n", 2);
        stdio_chr_write(c, (const char *)&byte, 1);
    }
    pthread_mutex_unlock(&c->lock);
}


enum term_aside stdio_chr_write_aside(struct stdio_chr *c, const char *buf, size_t n, unsigned flags)
{
    bool newline = false;
    pthread_mutex_lock(&c->lock);
    enum term_aside r = c->mux_focus && !(flags & TERM_ASIDE_NOW) ? TERM_ASIDE_LATER
                      : term_lines_aside(&c->lines, buf, n, flags, now_ns(), &newline);
    if (r == TERM_ASIDE_WRITE) {
        if (newline)
            stdio_chr_write(c, "\r\n", 2);
        stdio_chr_write(c, buf, n);
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

void stdio_chr_set_mux(struct stdio_chr *c, const struct stdio_mux_link *mux)
{
    c->mux = *mux;
    if (!mux->input || !mux->focused)
        return;
    pthread_mutex_lock(&c->lock);
    c->mux_focus = true;
    pthread_mutex_unlock(&c->lock);
    if (mux->focus)
        mux->focus(mux->opaque, true);
}

static void stdio_chr_help(struct stdio_chr *c)
{
    static const char help[] =
        "\r\nC-a h    print this help\r\n"
        "C-a x    exit vmon\r\n"
        "C-a c    switch between console and monitor\r\n"
        "C-a C-a  sends C-a\r\n";
    stdio_chr_write(c, help, sizeof(help) - 1);
}

static void stdio_chr_readable(void *opaque);

/* Read stdin only while the pending buffer can take a whole read (loop thread). */
static void stdio_chr_watch(struct stdio_chr *c)
{
    bool want = !c->in_eof && sizeof(c->pend) - c->npend > READ_CHUNK + 1;
    if (want && !c->watching)
        c->watching = evloop_add_fd(c->loop, c->in_fd, stdio_chr_readable, c) == 0;
    else if (!want && c->watching) {
        evloop_remove_fd(c->loop, c->in_fd);
        c->watching = false;
    }
}

/* Offer the UART what waits for it; it keeps what it takes. */
static void stdio_chr_flush(struct stdio_chr *c)
{
    if (c->serial && c->npend) {
        size_t n = serial_receive(c->serial, c->pend, c->npend);
        memmove(c->pend, c->pend + n, c->npend - n);
        c->npend -= n;
    }
    stdio_chr_watch(c);
}

/* Deliver typed bytes to whoever has the keyboard. stdio_chr_watch keeps room for them. */
static void stdio_chr_deliver(struct stdio_chr *c, const uint8_t *buf, size_t n)
{
    if (!n)
        return;
    if (c->mux_focus && c->mux.input) {
        c->mux.input(c->mux.opaque, buf, n);
        return;
    }
    if (n > sizeof(c->pend) - c->npend)
        n = sizeof(c->pend) - c->npend;
    memcpy(c->pend + c->npend, buf, n);
    c->npend += n;
    stdio_chr_flush(c);
}

/* Event loop: the guest drained the UART (stdio_chr_rx_room). */
static void stdio_chr_room(void *opaque)
{
    struct stdio_chr *c = opaque;
    uint64_t v;
    if (read(c->room_fd, &v, sizeof(v)) != sizeof(v))
        return;
    stdio_chr_flush(c);
}

void stdio_chr_rx_room(void *opaque)
{
    struct stdio_chr *c = opaque;
    uint64_t one = 1;
    while (write(c->room_fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;                      /* EAGAIN: the counter is already set, the loop will look */
}

/* Ctrl-A c: the keyboard moves; bytes typed before it went to the old owner. */
static void stdio_chr_switch(struct stdio_chr *c, const uint8_t *pending, size_t *m)
{
    if (!c->mux.input)
        return;
    stdio_chr_deliver(c, pending, *m);
    *m = 0;
    pthread_mutex_lock(&c->lock);
    bool focus = c->mux_focus = !c->mux_focus;
    pthread_mutex_unlock(&c->lock);
    if (c->mux.focus)
        c->mux.focus(c->mux.opaque, focus);
    if (!focus) {              /* back on the console: what the guest said meanwhile */
        pthread_mutex_lock(&c->lock);
        stdio_chr_write(c, (const char *)c->held, c->nheld);
        c->nheld = 0;
        pthread_mutex_unlock(&c->lock);
    }
}

/* Event loop: bytes typed on stdin go to the UART (or the monitor), minus the escape sequences. */
static void stdio_chr_readable(void *opaque)
{
    struct stdio_chr *c = opaque;
    /* A Ctrl-A left by the previous read turns this read's first byte into two: one more out. */
    uint8_t in[READ_CHUNK], out[sizeof(in) + 1];
    ssize_t n = read(c->in_fd, in, sizeof(in));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            c->in_eof = true;  /* EOF: level-triggered, it would spin */
            stdio_chr_watch(c);
        }
        return;
    }
    size_t m = 0;
    for (ssize_t i = 0; i < n; i++) {
        uint8_t b = in[i];
        if (c->escape) {
            c->escape = false;
            if (b == 'x') {
                term_restore();
                fprintf(stderr, "vmon: terminated (Ctrl-A x)\n");
                stop_link_request(&c->stop, STOP_REQ_QUIT, 0);
                return;
            }
            if (b == 'h' || b == '?') {
                stdio_chr_help(c);
                continue;
            }
            if (b == 'c' && c->mux.input) {
                stdio_chr_switch(c, out, &m);
                continue;
            }
            if (b != ESCAPE_CHAR)
                out[m++] = ESCAPE_CHAR;
            out[m++] = b;
        } else if (b == ESCAPE_CHAR) {
            c->escape = true;
        } else {
            out[m++] = b;
        }
    }
    stdio_chr_deliver(c, out, m);
}

struct stdio_chr *stdio_chr_new(struct evloop *loop, const struct stop_link *stop, int in_fd,
                                int out_fd)
{
    struct stdio_chr *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = loop;
    c->stop = *stop;
    pthread_mutex_init(&c->lock, NULL);
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->room_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->room_fd < 0 || evloop_add_fd(loop, c->room_fd, stdio_chr_room, c) < 0) {
        if (c->room_fd >= 0)
            close(c->room_fd);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    /* A terminal we do not own (vmon started in the background) is left alone: reading it would
     * stop vmon with SIGTTIN. A regular file or /dev/null cannot be polled (EPERM). Either way the
     * guest gets no input. */
    c->in_eof = in_fd < 0 || (isatty(in_fd) && tcgetpgrp(in_fd) != getpgrp());
    stdio_chr_watch(c);
    c->in_eof = !c->watching;
    if (c->watching)
        term_raw(in_fd);
    return c;
}

void stdio_chr_attach(struct stdio_chr *c, struct serial *s)
{
    c->serial = s;
}

void stdio_chr_free(struct stdio_chr *c)
{
    if (!c)
        return;
    if (c->watching)
        evloop_remove_fd(c->loop, c->in_fd);
    evloop_remove_fd(c->loop, c->room_fd);
    close(c->room_fd);
    term_restore();
    pthread_mutex_destroy(&c->lock);
    free(c);
}
