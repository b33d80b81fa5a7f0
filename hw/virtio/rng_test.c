/* virtio-rng on a fake queue: buffers come back filled (and different), the rate limit gives at
 * most max-bytes per period and serves a waiting chain once the period has passed, a hostile
 * chain (a buffer outside RAM) puts the device in NEEDS_RESET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/rng.h"
#include "hw/virtio/vq_rig.h"

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

struct t {
    struct guest_mem mem;
    struct virtio_rng *r;
    struct vq_rig rig;
};

static void setup(struct t *t, uint64_t max_bytes)
{
    assert_int_equal(guest_mem_init(&t->mem, RIG_RAM), 0);
    fake_now = 1000000000ull;
    t->r = virtio_rng_new(&t->mem, NULL, max_bytes, 1000);
    assert_non_null(t->r);
    t->r->now_ns = fake_clock;
    t->r->window_start_ns = fake_now;
    rig_start(&t->rig, &t->mem, &t->r->vdev);
}

static void teardown(struct t *t)
{
    virtio_rng_free(t->r);
    guest_mem_destroy(&t->mem);
}

static void fills_buffers(void **state)
{
    (void)state;
    struct t t;
    setup(&t, 0);
    struct rig_buf b[2] = { { RIG_BUFS, 64, true }, { RIG_BUFS + 0x100, 64, true } };
    rig_chain(&t.rig, 0, b, 2);
    rig_notify(&t.rig, 0);
    uint32_t len;
    assert_int_equal(rig_used_next(&t.rig, 0, &len), 1);
    assert_int_equal(len, 128);
    uint8_t x[64], y[64], zero[64] = { 0 };
    guest_mem_read(&t.mem, RIG_BUFS, x, 64);
    guest_mem_read(&t.mem, RIG_BUFS + 0x100, y, 64);
    assert_memory_not_equal(x, zero, 64);
    assert_memory_not_equal(x, y, 64);
    teardown(&t);
}

static void rate_limited(void **state)
{
    (void)state;
    struct t t;
    setup(&t, 100);
    struct rig_buf b = { RIG_BUFS, 64, true };
    uint32_t len;
    rig_chain(&t.rig, 0, &b, 1);
    rig_chain(&t.rig, 0, &b, 1);
    rig_chain(&t.rig, 0, &b, 1);
    rig_notify(&t.rig, 0);
    assert_int_equal(rig_used_next(&t.rig, 0, &len), 1);
    assert_int_equal(len, 64);
    assert_int_equal(rig_used_next(&t.rig, 0, &len), 1);
    assert_int_equal(len, 36);                         /* the rest of the period's 100 */
    assert_int_equal(rig_used_next(&t.rig, 0, &len), 0);   /* the third waits */
    fake_now += 999000000ull;
    rig_notify(&t.rig, 0);
    assert_int_equal(rig_used_next(&t.rig, 0, &len), 0);   /* still the same period */
    fake_now += 1000000ull;
    rig_notify(&t.rig, 0);
    assert_int_equal(rig_used_next(&t.rig, 0, &len), 1);
    assert_int_equal(len, 64);
    teardown(&t);
}

static void hostile_chain(void **state)
{
    (void)state;
    struct t t;
    setup(&t, 0);
    struct rig_buf b = { RIG_RAM - 8, 64, true };      /* runs past the end of RAM */
    rig_chain(&t.rig, 0, &b, 1);
    rig_notify(&t.rig, 0);
    assert_true(t.r->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    teardown(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fills_buffers),
        cmocka_unit_test(rate_limited),
        cmocka_unit_test(hostile_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
