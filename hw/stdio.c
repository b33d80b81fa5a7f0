/* The host terminal as the guest's serial line, QEMU -nographic style: raw mode while the guest
 * runs, and the escapes of QEMU's docs/system/mux-chardev.rst: Ctrl-A x quits, Ctrl-A c switches to
 * the monitor and back (when one is attached), Ctrl-A h lists them, Ctrl-A Ctrl-A sends one Ctrl-A.
 *
 * The saved termios is the one process-wide variable here: the terminal belongs to the process, and
 * exit() and fatal-signal paths, which have no VM at hand, must put it back. */
#include "hw/stdio.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/eventloop.h"
#include "hw/serial.h"

#define ESCAPE_CHAR 0x01       /* Ctrl-A */

struct stdio_chr {
    struct evloop *loop;
    struct stop_link stop;
    struct serial *serial;
    int in_fd, out_fd;
    bool watching;
    bool escape;               /* the previous byte was Ctrl-A */
    struct stdio_mux_link mux; /* the monitor, or none */
    pthread_mutex_t lock;      /* guards mux_focus and held[] against the UART's thread */
    bool mux_focus;            /* typed bytes go to the monitor; guest output is held */
    size_t nheld;              /* guest output held while the monitor has the terminal (bytes) */
    uint8_t held[4096];        /* beyond it, output is dropped, as a line without flow control */
};

static struct termios saved_tio;
static volatile sig_atomic_t tio_fd = -1;   /* the fd whose termios is saved, -1 when none */

static void term_restore(void)
{
    if (tio_fd >= 0) {
        tcsetattr(tio_fd, TCSANOW, &saved_tio);
        tio_fd = -1;
    }
}

/* Fatal signals: restore the terminal, then die of the same signal (SA_RESETHAND). */
static void term_fatal_signal(int sig)
{
    if (tio_fd >= 0)
        tcsetattr(tio_fd, TCSANOW, &saved_tio);
    raise(sig);
}

static void term_raw(int fd)
{
    static bool hooks_installed;
    if (!isatty(fd) || tcgetpgrp(fd) != getpgrp() || tcgetattr(fd, &saved_tio) < 0)
        return;
    struct termios raw = saved_tio;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST | ONLCR;   /* keep the host's newline handling for output */
    if (tcsetattr(fd, TCSANOW, &raw) < 0)
        return;
    tio_fd = fd;
    if (!hooks_installed) {
        hooks_installed = true;
        atexit(term_restore);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = term_fatal_signal;
        sa.sa_flags = (int)SA_RESETHAND;
        int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };
        for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
            sigaction(fatal[i], &sa, NULL);
    }
}

void stdio_chr_tx(void *opaque, uint8_t byte)
{
    struct stdio_chr *c = opaque;
    pthread_mutex_lock(&c->lock);
    bool hold = c->mux_focus;
    if (hold && c->nheld < sizeof(c->held))
        c->held[c->nheld++] = byte;
    pthread_mutex_unlock(&c->lock);
    if (hold)
        return;
    while (write(c->out_fd, &byte, 1) < 0 && errno == EINTR)
        ;                      /* other errors (a closed pipe) drop the byte, as a line would */
}

void stdio_chr_write(struct stdio_chr *c, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(c->out_fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        n -= (size_t)w;
    }
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

/* Deliver typed bytes to whoever has the keyboard. */
static void stdio_chr_deliver(struct stdio_chr *c, const uint8_t *buf, size_t n)
{
    if (!n)
        return;
    if (c->mux_focus && c->mux.input)
        c->mux.input(c->mux.opaque, buf, n);
    else if (c->serial)
        serial_receive(c->serial, buf, n);
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
    uint8_t in[256], out[sizeof(in) + 1];
    ssize_t n = read(c->in_fd, in, sizeof(in));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            evloop_remove_fd(c->loop, c->in_fd);   /* EOF: level-triggered, it would spin */
            c->watching = false;
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
    /* A terminal we do not own (vmon started in the background) is left alone: reading it would
     * stop vmon with SIGTTIN. A regular file or /dev/null cannot be polled (EPERM). Either way the
     * guest gets no input. */
    if (in_fd >= 0 && isatty(in_fd) && tcgetpgrp(in_fd) != getpgrp())
        return c;
    if (in_fd >= 0 && evloop_add_fd(loop, in_fd, stdio_chr_readable, c) == 0) {
        c->watching = true;
        term_raw(in_fd);
    }
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
    term_restore();
    pthread_mutex_destroy(&c->lock);
    free(c);
}
