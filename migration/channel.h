/* Where a live migration's stream flows (issue 18; QEMU's migration URIs): tcp:HOST:PORT (the source
 * connects, the destination listens and takes one peer), exec:CMD (/bin/sh -c CMD reading the stream
 * on its stdin at the source, writing it on its stdout at the destination) and file:PATH. */
#ifndef VMON_MIGRATION_CHANNEL_H
#define VMON_MIGRATION_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mig_channel {
    int fd;
    pid_t child;                        /* exec: the command, reaped by close; else 0 */
    bool duplex;                        /* tcp: the destination can answer */
};

/* The source's side; the destination's (blocks until a peer connects for tcp:). 0, or -errno with
 * one line in err (-EINVAL: a URI vmon does not know). */
int mig_channel_open_out(const char *uri, struct mig_channel *ch, char *err, size_t errlen);
int mig_channel_open_in(const char *uri, struct mig_channel *ch, char *err, size_t errlen);
/* Unblock a transfer in progress on another thread (a cancel): a socket is shut down. */
void mig_channel_abort(struct mig_channel *ch);
/* Close; an exec: command is waited for: 0, or -EIO when it failed. */
int mig_channel_close(struct mig_channel *ch);

/* migration/stream.h's mig_io callbacks, opaque = the struct mig_channel. */
int mig_channel_write(void *opaque, void *buf, size_t n);
int mig_channel_read(void *opaque, void *buf, size_t n);
/* Wait up to timeout_ms for n bytes (the destination's answer): 0, -ETIMEDOUT, -EPIPE or -errno. */
int mig_channel_read_timeout(struct mig_channel *ch, void *buf, size_t n, int timeout_ms);

#endif
