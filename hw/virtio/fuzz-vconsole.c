/* libFuzzer target over virtio-console's control queues (the message parser and handshake in
 * console-ctrl.c) and its data queues, with the split-ring walk under them: descriptors, rings,
 * control messages and data all come from the input. make fuzz-vconsole. */
#include <stdlib.h>

#include "hw/virtio/console.h"
#include "hw/virtio/fuzz-rig.h"

static struct guest_mem mem;
static int ready;

static void be_write(void *be, const uint8_t *buf, size_t n) { (void)be; (void)buf; (void)n; }
static void be_set_frontend(void *be, const struct chr_frontend *fe)
{
    *(const struct chr_frontend **)be = fe;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready && guest_mem_init(&mem, FUZZ_RAM) < 0)
        abort();
    ready = 1;
    const struct chr_frontend *fe[2] = { NULL, NULL };
    struct virtio_console *c = virtio_console_new(&mem);
    if (!c)
        abort();
    virtio_console_add_port(c, true, NULL, (struct chr_link){ be_write, be_set_frontend, NULL, &fe[0] });
    virtio_console_add_port(c, false, "fuzz", (struct chr_link){ be_write, be_set_frontend, NULL, &fe[1] });
    fuzz_start(&mem, &c->vdev, data, size);
    static const unsigned order[] = { 3, 2, 3, 1, 5, 0, 4, 7, 9 };
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        fuzz_notify(&c->vdev, order[i]);
    for (int p = 0; p < 2; p++)
        if (fe[p])
            fe[p]->receive(fe[p]->opaque, data, size < 64 ? size : 64);
    virtio_console_free(c);
    return 0;
}
