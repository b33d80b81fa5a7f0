/* The packed virtqueue walker (and split event idx) on fake queues in fake guest memory: chains,
 * wrap counters across several rounds, indirect tables, used descriptors, event suppression with
 * and without EVENT_IDX, and each hostile ring ending in -EINVAL, never a crash or a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "hw/virtio/packed.h"

#define RAM (1u << 20)
#define RING 0x1000
#define DRV 0x2000                /* driver event area */
#define DEV 0x3000                /* device event area */
#define TABLE 0x4000
#define DATA 0x10000

/* The driver's side: its next slot and wrap counter. */
struct fq {
    struct guest_mem mem;
    struct virtq q;
    uint16_t next;
    bool wrap;
};

static void fq_init(struct fq *f, uint16_t size, bool event_idx)
{
    assert_int_equal(guest_mem_init(&f->mem, RAM), 0);
    virtq_reset(&f->q, &f->mem);
    virtq_set_features(&f->q, 1ull << VIRTIO_F_RING_PACKED |
                       (event_idx ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0));
    f->q.size = size;
    f->q.desc = RING;
    f->q.avail = DRV;
    f->q.used = DEV;
    assert_int_equal(virtq_enable(&f->q), 0);
    f->next = 0;
    f->wrap = true;
}

static void put_desc(struct fq *f, uint64_t at, uint64_t addr, uint32_t len, uint16_t id,
                     uint16_t flags)
{
    uint8_t d[16];
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &id, 2);
    memcpy(d + 14, &flags, 2);
    assert_int_equal(guest_mem_write(&f->mem, at, d, 16), 0);
}

static uint16_t avail_flags(const struct fq *f)
{
    return f->wrap ? VIRTQ_PACKED_F_AVAIL : VIRTQ_PACKED_F_USED;
}

/* The driver makes one descriptor available at its next slot (flags as given, plus AVAIL/USED
 * for its wrap counter). */
static void offer(struct fq *f, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
    put_desc(f, RING + 16ull * f->next, addr, len, id, flags | avail_flags(f));
    if (++f->next == f->q.size) {
        f->next = 0;
        f->wrap = !f->wrap;
    }
}

static int pop(struct fq *f, struct virtq_chain *c)
{
    const char *why = NULL;
    int r = virtq_pop(&f->q, c, &why);
    if (r < 0)
        assert_non_null(why);
    return r;
}

static void read_desc(struct fq *f, uint16_t slot, uint16_t *id, uint32_t *len, uint16_t *flags)
{
    uint8_t d[16];
    guest_mem_read(&f->mem, RING + 16ull * slot, d, 16);
    memcpy(len, d + 8, 4);
    memcpy(id, d + 12, 2);
    memcpy(flags, d + 14, 2);
}

static void set_driver_event(struct fq *f, uint16_t off_wrap, uint16_t flags)
{
    uint16_t ev[2] = { off_wrap, flags };
    guest_mem_write(&f->mem, DRV, ev, 4);
}

/* Chains of 1 to 3 descriptors around the ring three times: each is read whole, the used
 * descriptor lands at the device's slot with the wrap counter's flags. */
static void test_chains_and_wrap(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 4, false);
    assert_int_equal(pop(&f, &c), 0);
    uint16_t used_slot = 0;
    bool used_wrap = true;
    for (int round = 0; round < 6; round++) {
        uint16_t n = (uint16_t)(1 + round % 3);
        for (uint16_t k = 0; k < n; k++)
            offer(&f, DATA + 512u * k, 512, (uint16_t)(10 + round),
                  (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (k ? VIRTQ_DESC_F_WRITE : 0));
        assert_int_equal(pop(&f, &c), 1);
        assert_int_equal(c.head, 10 + round);
        assert_int_equal(c.n, n);
        assert_int_equal(c.readable, 512);
        assert_int_equal(c.writable, 512u * (n - 1));
        assert_int_equal(pop(&f, &c), 0);
        virtq_push(&f.q, c.head, 77);
        uint16_t id, flags;
        uint32_t len;
        read_desc(&f, used_slot, &id, &len, &flags);
        assert_int_equal(id, 10 + round);
        assert_int_equal(len, 77);
        uint16_t both = VIRTQ_PACKED_F_AVAIL | VIRTQ_PACKED_F_USED;
        assert_int_equal(flags & both, used_wrap ? both : 0);
        used_slot = (uint16_t)(used_slot + n);
        if (used_slot >= 4) {
            used_slot -= 4;
            used_wrap = !used_wrap;
        }
    }
}

static void test_indirect(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8, false);
    put_desc(&f, TABLE, DATA, 16, 0, 0);
    put_desc(&f, TABLE + 16, DATA + 16, 4096, 0, VIRTQ_DESC_F_WRITE);
    put_desc(&f, TABLE + 32, DATA + 8192, 1, 0, VIRTQ_DESC_F_WRITE);
    offer(&f, TABLE, 48, 5, VIRTQ_DESC_F_INDIRECT);
    assert_int_equal(pop(&f, &c), 1);
    assert_int_equal(c.head, 5);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.readable, 16);
    assert_int_equal(c.writable, 4097);
    guest_mem_destroy(&f.mem);
}

/* Event suppression: DISABLE, ENABLE, and with EVENT_IDX the descriptor the driver names. */
static void test_notify(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 4, false);
    offer(&f, DATA, 16, 1, 0);
    assert_int_equal(pop(&f, &c), 1);
    virtq_push(&f.q, 1, 0);
    set_driver_event(&f, 0, VIRTQ_EVENT_F_DISABLE);
    assert_false(virtq_should_notify(&f.q));
    set_driver_event(&f, 0, VIRTQ_EVENT_F_ENABLE);
    assert_true(virtq_should_notify(&f.q));
    guest_mem_destroy(&f.mem);

    fq_init(&f, 4, true);
    set_driver_event(&f, 2 | 0x8000, VIRTQ_EVENT_F_DESC);   /* slot 2 in the first round */
    for (int i = 0; i < 2; i++) {
        offer(&f, DATA, 16, (uint16_t)i, 0);
        assert_int_equal(pop(&f, &c), 1);
        virtq_push(&f.q, (uint16_t)i, 0);
        assert_false(virtq_should_notify(&f.q));             /* slots 0 and 1 */
    }
    offer(&f, DATA, 16, 2, 0);
    assert_int_equal(pop(&f, &c), 1);
    virtq_push(&f.q, 2, 0);
    assert_true(virtq_should_notify(&f.q));                  /* slot 2 */
    set_driver_event(&f, 1, VIRTQ_EVENT_F_DESC);             /* slot 1 in the second round */
    offer(&f, DATA, 16, 3, 0);
    assert_int_equal(pop(&f, &c), 1);
    virtq_push(&f.q, 3, 0);
    assert_false(virtq_should_notify(&f.q));                 /* slot 3 */
    offer(&f, DATA, 16, 4, 0);
    offer(&f, DATA, 16, 5, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pop(&f, &c), 1);
        virtq_push(&f.q, c.head, 0);
    }
    assert_true(virtq_should_notify(&f.q));                  /* slots 0 and 1 of round 2 */
    guest_mem_destroy(&f.mem);
}

/* Each hostile ring: -EINVAL with a reason, and the walk ends. */
static void expect_bad(void (*setup)(struct fq *))
{
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8, false);
    setup(&f);
    int r;
    for (int i = 0; i < 16 && (r = pop(&f, &c)) == 1; i++)
        ;
    assert_int_equal(r, -EINVAL);
    guest_mem_destroy(&f.mem);
}

static void endless_chain(struct fq *f)
{
    for (int i = 0; i < 8; i++)
        offer(f, DATA, 16, 0, VIRTQ_DESC_F_NEXT);
}

static void out_of_ram(struct fq *f) { offer(f, RAM - 8, 16, 0, 0); }
static void huge_len(struct fq *f) { offer(f, DATA, 0xffffffff, 0, VIRTQ_DESC_F_WRITE); }
static void wrapping_addr(struct fq *f) { offer(f, ~0ull - 4, 16, 0, 0); }

static void read_after_write(struct fq *f)
{
    offer(f, DATA, 16, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    offer(f, DATA, 16, 0, 0);
}

static void indirect_in_chain(struct fq *f)
{
    offer(f, DATA, 16, 0, VIRTQ_DESC_F_NEXT);
    offer(f, TABLE, 16, 0, VIRTQ_DESC_F_INDIRECT);
}

static void indirect_nested(struct fq *f)
{
    put_desc(f, TABLE, TABLE, 16, 0, VIRTQ_DESC_F_INDIRECT);
    offer(f, TABLE, 16, 0, VIRTQ_DESC_F_INDIRECT);
}

static void indirect_bad_len(struct fq *f) { offer(f, TABLE, 20, 0, VIRTQ_DESC_F_INDIRECT); }
static void indirect_zero_len(struct fq *f) { offer(f, TABLE, 0, 0, VIRTQ_DESC_F_INDIRECT); }
static void indirect_out_of_ram(struct fq *f) { offer(f, RAM - 16, 32, 0, VIRTQ_DESC_F_INDIRECT); }

static void indirect_too_long(struct fq *f)
{
    for (int i = 0; i < VIRTQ_MAX_SEGS + 1; i++)
        put_desc(f, TABLE + 16ull * i, DATA, 16, 0, 0);
    offer(f, TABLE, 16 * (VIRTQ_MAX_SEGS + 1), 0, VIRTQ_DESC_F_INDIRECT);
}

/* ... and a driver that makes slots available again before the device used them: the chains
 * in flight would outnumber the ring's entries. */
static void test_hostile(void **state)
{
    (void)state;
    void (*bad[])(struct fq *) = { endless_chain, out_of_ram, huge_len, wrapping_addr,
                                   read_after_write, indirect_in_chain, indirect_nested,
                                   indirect_bad_len, indirect_zero_len, indirect_out_of_ram,
                                   indirect_too_long };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_bad(bad[i]);
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8, false);
    for (int i = 0; i < 8; i++) {
        offer(&f, DATA, 16, (uint16_t)i, 0);
        assert_int_equal(pop(&f, &c), 1);
    }
    offer(&f, DATA, 16, 8, 0);
    assert_int_equal(pop(&f, &c), -EINVAL);
    guest_mem_destroy(&f.mem);
}

/* A packed queue's rings: in RAM, aligned, 1 to VIRTQ_MAX_SIZE entries (any count). */
/* Chains taken then given back (virtq_rewind) are taken again, wrap counter included; chains
 * used together (virtq_push_n) land in order with the first one's flags written last. */
static void test_rewind_and_push_n(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 4, false);
    offer(&f, DATA, 100, 1, VIRTQ_DESC_F_WRITE);
    offer(&f, DATA, 100, 2, VIRTQ_DESC_F_WRITE);
    assert_int_equal(pop(&f, &c), 1);
    struct virtq_mark m;
    virtq_mark(&f.q, &m);
    offer(&f, DATA, 100, 3, VIRTQ_DESC_F_WRITE);
    offer(&f, DATA, 100, 4, VIRTQ_DESC_F_WRITE);   /* the driver's wrap counter turns */
    assert_int_equal(pop(&f, &c), 1);
    assert_int_equal(pop(&f, &c), 1);
    assert_int_equal(pop(&f, &c), 1);
    assert_int_equal(c.head, 4);
    assert_true(f.q.avail_wrap == false);
    virtq_rewind(&f.q, &m);
    assert_true(f.q.avail_wrap);
    assert_int_equal(f.q.inflight_n, 1);
    uint16_t ids[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pop(&f, &c), 1);
        ids[i] = c.head;
    }
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[2], 4);
    uint16_t heads[4] = { 1, 2, 3, 4 };
    uint32_t lens[4] = { 10, 20, 30, 40 };
    virtq_push_n(&f.q, heads, lens, 4);
    for (uint16_t slot = 0; slot < 4; slot++) {
        uint16_t id, flags;
        uint32_t len;
        read_desc(&f, slot, &id, &len, &flags);
        assert_int_equal(id, slot + 1);
        assert_int_equal(len, 10u * (slot + 1));
        assert_int_equal(flags & (VIRTQ_PACKED_F_AVAIL | VIRTQ_PACKED_F_USED),
                         VIRTQ_PACKED_F_AVAIL | VIRTQ_PACKED_F_USED);
    }
    assert_int_equal(f.q.inflight_n, 0);
    assert_false(f.q.used_wrap);
    guest_mem_destroy(&f.mem);
}

static void test_enable_checks(void **state)
{
    (void)state;
    struct guest_mem m;
    struct virtq q;
    assert_int_equal(guest_mem_init(&m, RAM), 0);
    virtq_reset(&q, &m);
    virtq_set_features(&q, 1ull << VIRTIO_F_RING_PACKED);
    q.size = 12; q.desc = RING; q.avail = DRV; q.used = RAM - 2;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.used = DEV + 2;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.used = DEV; q.desc = RING + 8;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.desc = RAM - 16 * 11;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.desc = RING; q.size = 0;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.size = 12;
    assert_int_equal(virtq_enable(&q), 0);
    assert_true(q.packed);
    guest_mem_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chains_and_wrap), cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_notify), cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_enable_checks), cmocka_unit_test(test_rewind_and_push_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
