/* libFuzzer target over the live migration stream's parser (issue 18; migration/stream.h): the input is
 * what a destination reads from -incoming. Its header is decoded, its records parsed into a 64-page
 * guest RAM and a 1 MiB disk (each page index, run length, disk record and state length checked
 * before use), and a device state
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

/* Disk 0 of 1 MiB (migrate -b's DISK records): what the destination's board checks. */
static int disk_write(void *opaque, unsigned disk, uint64_t off, const uint8_t *data, uint32_t len)
{
    static uint8_t img[1 << 20];
    (void)opaque;
    if (disk != 0 || off > sizeof(img) || len > sizeof(img) - off)
        return -EINVAL;
    memcpy(img + off, data, len);
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
    struct mig_in in = { .io = &io, .ram = ram, .ram_pages = RAM_PAGES, .disk = disk_write };
    if (mig_get_records(&in, &why) == 0) {
        static struct vms_index idx;
        vms_index_build(in.state, in.state_len, &idx, &why);
    }
    free(in.state);
    return 0;
}
