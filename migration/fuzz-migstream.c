/* libFuzzer target over the live migration stream's parser (issue 18; migration/stream.h): the input is
 * what a destination reads from -incoming. Its header is decoded, its records parsed into a 64-page
 * guest RAM (each page index, run length and state length checked before use), and a device state
 * that came whole is split into sections as the destination's loader does (vms_index_build; the
 * sections' own loaders are fuzz-vmstate's). Nothing may crash, hang, leak or touch memory outside
 * the RAM: make fuzz-migstream. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration/stream.h"
#include "migration/vmstate.h"

#define RAM_PAGES 64u

struct input {
    const uint8_t *p;
    size_t len, pos;
};

static int in_read(void *o, void *buf, size_t n)
{
    struct input *in = o;
    if (n > in->len - in->pos)
        return -EPIPE;
    memcpy(buf, in->p + in->pos, n);
    in->pos += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    if (!ram)
        ram = malloc(RAM_PAGES * 4096);
    struct input src = { data, size, 0 };
    struct mig_io io = { in_read, &src, 0 };
    struct mig_header h;
    const char *why = "";
    if (mig_get_header(&io, &h, &why) < 0)
        return 0;
    struct mig_in in = { .io = &io, .ram = ram, .ram_pages = RAM_PAGES };
    if (mig_get_records(&in, &why) == 0) {
        static struct vms_index idx;
        vms_index_build(in.state, in.state_len, &idx, &why);
    }
    free(in.state);
    return 0;
}
