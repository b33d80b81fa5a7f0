/* A tiny AF_VSOCK client/server for the test initramfs (busybox has none); built static by
 * scripts/fetch-guest.sh. Each direction moves one line:
 *   vsock-tool listen PORT           accept one connection, print "GOT <line>", answer "PONG <line>"
 *   vsock-tool connect CID PORT MSG  send "MSG\n", print "REPLY <line>" with the peer's answer
 * Exit status 0 on success, 1 with a message on stderr otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int die(const char *what)
{
    perror(what);
    return 1;
}

/* One line (without the newline) into buf; -1 at EOF before any newline. */
static int read_line(int fd, char *buf, size_t n)
{
    size_t at = 0;
    while (at + 1 < n) {
        char c;
        if (read(fd, &c, 1) != 1)
            return -1;
        if (c == '\n')
            break;
        buf[at++] = c;
    }
    buf[at] = 0;
    return 0;
}

static int write_str(int fd, const char *a, const char *b)
{
    char out[512];
    int n = snprintf(out, sizeof(out), "%s%s\n", a, b);
    return write(fd, out, (size_t)n) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct sockaddr_vm a = { .svm_family = AF_VSOCK };
    char line[256];
    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (fd < 0)
        return die("socket(AF_VSOCK)");
    if (argc == 3 && !strcmp(argv[1], "listen")) {
        a.svm_cid = VMADDR_CID_ANY;
        a.svm_port = (unsigned)atoi(argv[2]);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0)
            return die("bind/listen");
        printf("LISTENING %u\n", a.svm_port);
        fflush(stdout);
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            return die("accept");
        if (read_line(c, line, sizeof(line)) < 0)
            return die("read");
        printf("GOT %s\n", line);
        return write_str(c, "PONG ", line) < 0 ? die("write") : 0;
    }
    if (argc == 5 && !strcmp(argv[1], "connect")) {
        a.svm_cid = (unsigned)atoi(argv[2]);
        a.svm_port = (unsigned)atoi(argv[3]);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            return die("connect");
        if (write_str(fd, argv[4], "") < 0 || read_line(fd, line, sizeof(line)) < 0)
            return die("write/read");
        printf("REPLY %s\n", line);
        return 0;
    }
    fprintf(stderr, "usage: vsock-tool listen PORT | connect CID PORT MSG\n");
    return 1;
}
