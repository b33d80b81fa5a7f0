/* The gdbstub's listening socket from QEMU's -gdb spelling: "tcp:[HOST]:PORT" (HOST empty: every
 * address; QEMU's -s is tcp::1234) or "unix:PATH" (options after a comma, such as ",server", are
 * QEMU's and accepted). */
#include "gdbstub/listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_tcp(const char *hostport, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof(host) || !colon[1]) {
        snprintf(err, errlen, "expected tcp:[HOST]:PORT");
        return -EINVAL;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int r = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (r) {
        snprintf(err, errlen, "%s", gai_strerror(r));
        return -EINVAL;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(e));
        return -e;
    }
    return fd;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strcspn(path, ",");
    if (!n || n >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path empty or too long");
        return -EINVAL;
    }
    memcpy(sa.sun_path, path, n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s", strerror(e));
        return -e;
    }
    unlink(sa.sun_path);
    mode_t old = umask(077);       /* the debugger owns the guest: only our user may connect */
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(fd, 1) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s", strerror(e));
        close(fd);
        return -e;
    }
    return fd;
}

int gdb_listen(const char *spec, char *path, size_t pathlen, char *err, size_t errlen)
{
    path[0] = 0;
    if (!strncmp(spec, "tcp:", 4))
        return listen_tcp(spec + 4, err, errlen);
    if (!strncmp(spec, "unix:", 5)) {
        int fd = listen_unix(spec + 5, err, errlen);
        if (fd >= 0)
            snprintf(path, pathlen, "%.*s", (int)strcspn(spec + 5, ","), spec + 5);
        return fd;
    }
    snprintf(err, errlen, "expected tcp:[HOST]:PORT or unix:PATH");
    return -EINVAL;
}
