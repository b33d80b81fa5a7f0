/* Migration channels (migration/channel.h): sockets, pipes to a shell command, files. */
#include "migration/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

/* "HOST:PORT" (HOST may be empty, or [v6]) into host and port. */
static int split_hostport(const char *s, char *host, size_t hl, char *port, size_t pl)
{
    const char *colon = strrchr(s, ':');
    if (!colon || !colon[1] || (size_t)(colon - s) >= hl || strlen(colon + 1) >= pl)
        return -EINVAL;
    const char *h = s;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
        h++, n -= 2;
    memcpy(host, h, n);
    host[n] = 0;
    snprintf(port, pl, "%s", colon + 1);
    return 0;
}

static int tcp_open(const char *hp, bool listen_side, char *err, size_t errlen)
{
    char host[256], port[32];
    if (split_hostport(hp, host, sizeof(host), port, sizeof(port)) < 0) {
        snprintf(err, errlen, "tcp:%s: expected tcp:HOST:PORT", hp);
        return -EINVAL;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = listen_side ? AI_PASSIVE : 0 };
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (g) {
        snprintf(err, errlen, "tcp:%s: %s", hp, gai_strerror(g));
        return -EINVAL;
    }
    int fd = -1, e = ECONNREFUSED;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        int ok = listen_side ? bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0
                             : connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        if (!ok) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(err, errlen, "tcp:%s: %s", hp, strerror(e));
        return -e;
    }
    if (listen_side) {
        int c;
        while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
            ;
        e = errno;
        close(fd);
        if (c < 0) {
            snprintf(err, errlen, "tcp:%s: accept: %s", hp, strerror(e));
            return -e;
        }
        fd = c;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* /bin/sh -c cmd with its stdin (out: we write) or stdout (in: we read) on a pipe. */
static int exec_open(const char *cmd, bool out, struct mig_channel *ch, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "exec:%s: pipe: %s", cmd, strerror(errno));
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        snprintf(err, errlen, "exec:%s: fork: %s", cmd, strerror(e));
        return -e;
    }
    if (pid == 0) {
        dup2(out ? p[0] : p[1], out ? 0 : 1);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(out ? p[0] : p[1]);
    ch->fd = out ? p[1] : p[0];
    ch->child = pid;
    return 0;
}

static int channel_open(const char *uri, bool out, struct mig_channel *ch, char *err, size_t errlen)
{
    memset(ch, 0, sizeof(*ch));
    ch->fd = -1;
    if (!strncmp(uri, "tcp:", 4)) {
        int fd = tcp_open(uri + 4, !out, err, errlen);
        if (fd < 0)
            return fd;
        ch->fd = fd;
        ch->duplex = true;
        return 0;
    }
    if (!strncmp(uri, "exec:", 5))
        return exec_open(uri + 5, out, ch, err, errlen);
    if (!strncmp(uri, "file:", 5)) {
        int fd = out ? open(uri + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
                     : open(uri + 5, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", uri, strerror(errno));
            return -errno;
        }
        ch->fd = fd;
        return 0;
    }
    snprintf(err, errlen, "%s: unknown migration URI (tcp:HOST:PORT, exec:CMD or file:PATH)", uri);
    return -EINVAL;
}

int mig_channel_open_out(const char *uri, struct mig_channel *ch, char *err, size_t errlen)
{
    return channel_open(uri, true, ch, err, errlen);
}

int mig_channel_open_in(const char *uri, struct mig_channel *ch, char *err, size_t errlen)
{
    return channel_open(uri, false, ch, err, errlen);
}

void mig_channel_abort(struct mig_channel *ch)
{
    if (ch->fd >= 0)
        shutdown(ch->fd, SHUT_RDWR);   /* ENOTSOCK for a pipe or file: the next record sees the cancel */
}

int mig_channel_close(struct mig_channel *ch)
{
    int r = 0;
    if (ch->fd >= 0)
        close(ch->fd);
    ch->fd = -1;
    if (ch->child > 0) {
        int st;
        while (waitpid(ch->child, &st, 0) < 0 && errno == EINTR)
            ;
        r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
        ch->child = 0;
    }
    return r;
}

int mig_channel_write(void *opaque, void *buf, size_t n)
{
    struct mig_channel *ch = opaque;
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(ch->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int mig_channel_read(void *opaque, void *buf, size_t n)
{
    struct mig_channel *ch = opaque;
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(ch->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EPIPE;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int mig_channel_read_timeout(struct mig_channel *ch, void *buf, size_t n, int timeout_ms)
{
    struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
    int r;
    while ((r = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -errno;
    if (r == 0)
        return -ETIMEDOUT;
    return mig_channel_read(ch, buf, n);
}
