/* block/ unit tests' scratch image: a temporary file made by a cmocka setup and removed by its
 * teardown; the test reads its path from the state (*st). */
#ifndef VMON_BLOCK_TMPIMG_TEST_H
#define VMON_BLOCK_TMPIMG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A file /tmp/vmon-NAME-XXXXXX of size bytes (0: empty) whose path becomes *st. */
static inline int tmpimg_setup(void **st, const char *name, long size)
{
    char *p = malloc(80);
    if (!p)
        return -1;
    snprintf(p, 80, "/tmp/vmon-%s-XXXXXX", name);
    int fd = mkstemp(p);
    if (fd < 0 || (size && ftruncate(fd, size) < 0)) {
        if (fd >= 0)
            close(fd), unlink(p);
        free(p);
        return -1;
    }
    close(fd);
    *st = p;
    return 0;
}

static inline int tmpimg_teardown(void **st)
{
    unlink(*st);
    free(*st);
    return 0;
}

#endif
