/* The split virtqueue walker on a fake queue in fake guest memory: good chains, indirect tables,
 * the used ring, event idx, and each kind of hostile chain ending in -EINVAL, never a crash or a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "hw/virtio/queue.h"

#define RAM (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000

struct fq {
    struct guest_mem mem;
    struct virtq q;
};

static void fq_init(struct fq *f, uint16_t size)
{
    assert_int_equal(guest_mem_init(&f->mem, RAM), 0);
    virtq_reset(&f->q, &f->mem);
    f->q.size = size;
    f->q.desc = DESC;
    f->q.avail = AVAIL;
    f->q.used = USED;
    assert_int_equal(virtq_enable(&f->q), 0);
}

static void set_desc(struct fq *f, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t d[16];
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
    assert_int_equal(guest_mem_write(&f->mem, table + 16ull * i, d, 16), 0);
}

/* Makes head the next available entry. */
static void offer(struct fq *f, uint16_t head)
{
    uint16_t idx;
    guest_mem_read(&f->mem, AVAIL + 2, &idx, 2);
    guest_mem_write(&f->mem, AVAIL + 4 + 2ull * (idx % f->q.size), &head, 2);
    idx++;
    guest_mem_write(&f->mem, AVAIL + 2, &idx, 2);
}

static int pop(struct fq *f, struct virtq_chain *c)
{
    const char *why = NULL;
    int r = virtq_pop(&f->q, c, &why);
    if (r < 0)
        assert_non_null(why);
    return r;
}

static void test_chain_and_used(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8);
    assert_int_equal(pop(&f, &c), 0);
    set_desc(&f, DESC, 3, DATA, 16, VIRTQ_DESC_F_NEXT, 5);
    set_desc(&f, DESC, 5, DATA + 512, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
    set_desc(&f, DESC, 0, DATA + 2048, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(&f, 3);
    assert_int_equal(pop(&f, &c), 1);
    assert_int_equal(c.head, 3);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.readable, 16);
    assert_int_equal(c.writable, 513);
    assert_ptr_equal(c.bufs[1].hva, guest_mem_hva(&f.mem, DATA + 512, 512));
    assert_true(c.bufs[2].write);
    assert_int_equal(pop(&f, &c), 0);
    virtq_push(&f.q, 3, 513);
    uint32_t used[3];
    guest_mem_read(&f.mem, USED + 2, used, 2);
    assert_int_equal(used[0] & 0xffff, 1);
    guest_mem_read(&f.mem, USED + 4, used, 8);
    assert_int_equal(used[0], 3);
    assert_int_equal(used[1], 513);
    assert_true(virtq_should_notify(&f.q));
    uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    guest_mem_write(&f.mem, AVAIL, &flags, 2);
    assert_false(virtq_should_notify(&f.q));
    guest_mem_destroy(&f.mem);
}

static void test_indirect(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8);
    uint64_t t = 0x4000;
    set_desc(&f, t, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
    set_desc(&f, t, 2, DATA + 16, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    set_desc(&f, t, 1, DATA + 8192, 1, VIRTQ_DESC_F_WRITE, 0);
    set_desc(&f, DESC, 0, t, 48, VIRTQ_DESC_F_INDIRECT, 0);
    offer(&f, 0);
    assert_int_equal(pop(&f, &c), 1);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.writable, 4097);
    guest_mem_destroy(&f.mem);
}

/* EVENT_IDX (2.7.10): the device asks for a notification at its next entry (avail_event) and
 * interrupts only when the entries it used pass the driver's used_event. */
static void test_event_idx(void **state)
{
    (void)state;
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8);
    virtq_set_features(&f.q, 1ull << VIRTIO_RING_F_EVENT_IDX);
    assert_true(f.q.event_idx);
    uint16_t used_event = 2, avail_event;
    guest_mem_write(&f.mem, AVAIL + 4 + 2 * 8, &used_event, 2);
    for (uint16_t i = 0; i < 4; i++) {
        set_desc(&f, DESC, i, DATA, 16, 0, 0);
        offer(&f, i);
        assert_int_equal(pop(&f, &c), 1);
        guest_mem_read(&f.mem, USED + 4 + 8 * 8, &avail_event, 2);
        assert_int_equal(avail_event, i + 1);
        virtq_push(&f.q, i, 0);
        /* the first interrupt always goes; then only when used_idx passes 2 (entry 2 used) */
        assert_int_equal(virtq_should_notify(&f.q), i == 0 || i == 2);
    }
    assert_int_equal(pop(&f, &c), 0);
    guest_mem_read(&f.mem, USED + 4 + 8 * 8, &avail_event, 2);
    assert_int_equal(avail_event, 4);
    uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;   /* ignored under EVENT_IDX */
    guest_mem_write(&f.mem, AVAIL, &flags, 2);
    used_event = 4;
    guest_mem_write(&f.mem, AVAIL + 4 + 2 * 8, &used_event, 2);
    set_desc(&f, DESC, 4, DATA, 16, 0, 0);
    offer(&f, 4);
    assert_int_equal(pop(&f, &c), 1);
    virtq_push(&f.q, 4, 0);
    assert_true(virtq_should_notify(&f.q));
    guest_mem_destroy(&f.mem);
}

/* Each hostile chain: -EINVAL with a reason, and the walk ends. */
static void expect_bad(void (*setup)(struct fq *))
{
    struct fq f;
    struct virtq_chain c;
    fq_init(&f, 8);
    setup(&f);
    assert_int_equal(pop(&f, &c), -EINVAL);
    guest_mem_destroy(&f.mem);
}

static void loop(struct fq *f)
{
    set_desc(f, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(f, DESC, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
    offer(f, 0);
}

static void out_of_ram(struct fq *f)
{
    set_desc(f, DESC, 0, RAM - 8, 16, 0, 0);
    offer(f, 0);
}

static void huge_len(struct fq *f)
{
    set_desc(f, DESC, 0, DATA, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
    offer(f, 0);
}

static void wrapping_addr(struct fq *f)
{
    set_desc(f, DESC, 0, ~0ull - 4, 16, 0, 0);
    offer(f, 0);
}

static void head_out_of_range(struct fq *f)
{
    offer(f, 8);
}

static void next_out_of_range(struct fq *f)
{
    set_desc(f, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 200);
    offer(f, 0);
}

static void read_after_write(struct fq *f)
{
    set_desc(f, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    set_desc(f, DESC, 1, DATA, 16, 0, 0);
    offer(f, 0);
}

static void indirect_loop(struct fq *f)
{
    set_desc(f, 0x4000, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(f, 0x4000, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
    set_desc(f, DESC, 0, 0x4000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(f, 0);
}

static void indirect_nested(struct fq *f)
{
    set_desc(f, 0x4000, 0, 0x4000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc(f, DESC, 0, 0x4000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(f, 0);
}

static void indirect_bad_len(struct fq *f)
{
    set_desc(f, DESC, 0, 0x4000, 20, VIRTQ_DESC_F_INDIRECT, 0);
    offer(f, 0);
}

static void indirect_out_of_ram(struct fq *f)
{
    set_desc(f, DESC, 0, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(f, 0);
}

static void avail_idx_jump(struct fq *f)
{
    uint16_t idx = 100;
    guest_mem_write(&f->mem, AVAIL + 2, &idx, 2);
}

static void test_hostile_chains(void **state)
{
    (void)state;
    void (*bad[])(struct fq *) = { loop, out_of_ram, huge_len, wrapping_addr, head_out_of_range,
                                   next_out_of_range, read_after_write, indirect_loop,
                                   indirect_nested, indirect_bad_len, indirect_out_of_ram,
                                   avail_idx_jump };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_bad(bad[i]);
}

/* A queue whose rings are not in RAM, or misaligned, or of a bad size, is refused. */
static void test_enable_checks(void **state)
{
    (void)state;
    struct guest_mem m;
    struct virtq q;
    assert_int_equal(guest_mem_init(&m, RAM), 0);
    virtq_reset(&q, &m);
    q.size = 8; q.desc = DESC; q.avail = AVAIL; q.used = RAM - 16;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.used = USED + 2;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.used = USED; q.size = 12;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.size = 512;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.size = 8; q.desc = DESC + 8;
    assert_int_equal(virtq_enable(&q), -EINVAL);
    q.desc = DESC;
    assert_int_equal(virtq_enable(&q), 0);
    guest_mem_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_and_used), cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_hostile_chains), cmocka_unit_test(test_enable_checks),
        cmocka_unit_test(test_event_idx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
