/* The host terminal in raw mode (termios(3): cfmakeraw) while the guest's serial line owns it. The
 * saved termios is the one process-wide variable here: the terminal belongs to the process, and
 * exit() and fatal-signal paths, which have no VM at hand, must put it back. */
#include "hw/term-raw.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio;
static volatile sig_atomic_t tio_fd = -1;   /* the fd whose termios is saved, -1 when none */

void term_restore(void)
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

void term_raw(int fd)
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
