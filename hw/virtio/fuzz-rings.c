/* libFuzzer target over the virtqueue walkers (hw/virtio/queue.c, packed.c): the input picks a
 * queue's layout (split or packed, event idx, size, ring addresses) and fills 64 KiB of fake
 * guest RAM; the device then pops, pushes and asks whether to notify as a device would. Every
 * buffer handed out must lie inside guest RAM; a walk must end. make fuzz-rings [FUZZ_TIME=600] */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/queue.h"
#include "util/bytes.h"

#define RAM 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem mem;
    if (!mem.base && guest_mem_init(&mem, RAM) < 0)
        abort();
    if (size < 12)
        return 0;
    uint8_t mode = data[0];
    struct virtq q;
    virtq_reset(&q, &mem);
    virtq_set_features(&q, (mode & 1 ? 1ull << VIRTIO_F_RING_PACKED : 0) |
                           (mode & 2 ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0));
    q.size = (uint16_t)(get_le16(data + 2) % (VIRTQ_MAX_SIZE + 8));
    q.desc = get_le16(data + 4) & ~15u;
    q.avail = get_le16(data + 6) & ~3u;
    q.used = get_le16(data + 8) & ~3u;
    if (mode & 4) {                          /* sometimes unaligned or out of RAM */
        q.desc = get_le16(data + 4);
        q.used = (uint64_t)get_le16(data + 8) << 16;
    }
    size_t n = size - 12 < RAM ? size - 12 : RAM;
    memset(mem.base, 0, RAM);
    memcpy(mem.base, data + 12, n);
    if (virtq_enable(&q) < 0)
        return 0;
    struct virtq_chain c;
    for (int i = 0; i < 2 * VIRTQ_MAX_SIZE + 8; i++) {
        const char *why = NULL;
        int r = virtq_pop(&q, &c, &why);
        if (r <= 0) {
            if (r < 0 && !why)
                abort();                     /* every error says why */
            break;
        }
        for (int k = 0; k < c.n; k++)
            if (c.bufs[k].len && (c.bufs[k].hva < mem.base ||
                                  c.bufs[k].hva + c.bufs[k].len > mem.base + RAM))
                abort();
        if (c.n > VIRTQ_MAX_SEGS)
            abort();
        if ((i + data[1]) % 3)
            virtq_push(&q, c.head, (uint32_t)c.writable);
        virtq_should_notify(&q);
    }
    return 0;
}
