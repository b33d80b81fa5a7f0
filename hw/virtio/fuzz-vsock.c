/* libFuzzer target over virtio-vsock's transmit and receive paths (hw/virtio/vsock*.c) and the
 * split-ring walk under them: descriptors, rings and packets all come from the input. A host
 * listener at <uds>_1 makes guest REQUESTs to port 1 real connections. make fuzz-vsock. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hw/virtio/fuzz-rig.h"
#include "hw/virtio/vsock.h"

static struct guest_mem mem;
static char uds[64];
static int listener = -1;

static void once(void)
{
    char dir[] = "/tmp/vmon-fuzz-vsock-XXXXXX";
    if (guest_mem_init(&mem, FUZZ_RAM) < 0 || !mkdtemp(dir))
        abort();
    snprintf(uds, sizeof(uds), "%s/v", dir);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s_1", uds);
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listener, 64) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (listener < 0)
        once();
    char err[128];
    struct virtio_vsock *s = virtio_vsock_new(&mem, NULL, 3, uds, err, sizeof(err));
    if (!s)
        abort();
    fuzz_start(&mem, &s->vdev, data, size);
    static const unsigned order[] = { 1, 0, 1, 0, 2 };
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        fuzz_notify(&s->vdev, order[i]);
    vsock_on_events(s);
    virtio_vsock_free(s);
    int fd;
    while ((fd = accept(listener, NULL, NULL)) >= 0)
        close(fd);
    return 0;
}
