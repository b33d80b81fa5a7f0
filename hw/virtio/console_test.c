/* virtio-console on fake queues, as Linux's virtio_console drives it: DEVICE_READY brings one
 * DEVICE_ADD per port; PORT_READY brings CONSOLE_PORT, PORT_NAME and PORT_OPEN; what the guest
 * transmits reaches the port's backend; host input waits until the guest opens the port and has
 * buffers. Hostile control messages (short, unknown port) are ignored. A snapshot of the device's
 * own part (console-state.c) carries which ports the guest opened and the pending control messages
 * into a device with the same ports, and is refused by one with other ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "hw/virtio/console.h"
#include "hw/virtio/vq_rig.h"
#include "migration/vmstate.h"
#include "migration/vms-rig_test.h"

#define CTRL_RX_BUF (RIG_BUFS + 0x1000)   /* 16 control receive buffers of 128 bytes */
#define MSG_BUF     (RIG_BUFS + 0x2000)

struct fake_be {
    char out[256];
    size_t n;
    const struct chr_frontend *fe;
    int kicks;
};

static void be_write(void *be, const uint8_t *buf, size_t n)
{
    struct fake_be *f = be;
    memcpy(f->out + f->n, buf, n);
    f->n += n;
}

static void be_set_frontend(void *be, const struct chr_frontend *fe) { ((struct fake_be *)be)->fe = fe; }
static void be_accept(void *be) { ((struct fake_be *)be)->kicks++; }

struct t {
    struct guest_mem mem;
    struct virtio_console *c;
    struct vq_rig rig;
    struct fake_be be[2];
};

static struct chr_link link_of(struct fake_be *f)
{
    return (struct chr_link){ be_write, be_set_frontend, be_accept, f };
}

static void setup(struct t *t)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(guest_mem_init(&t->mem, RIG_RAM), 0);
    t->c = virtio_console_new(&t->mem);
    assert_int_equal(virtio_console_add_port(t->c, true, NULL, link_of(&t->be[0])), 0);
    assert_int_equal(virtio_console_add_port(t->c, false, "org.test", link_of(&t->be[1])), 1);
    rig_start(&t->rig, &t->mem, &t->c->vdev);
    for (unsigned i = 0; i < 4; i++) {         /* control receive buffers (queue 2) */
        struct rig_buf b = { CTRL_RX_BUF + 128 * i, 128, true };
        rig_chain(&t->rig, 2, &b, 1);
    }
}

static void send_ctrl(struct t *t, uint32_t id, uint16_t event, uint16_t value, uint32_t len)
{
    uint8_t m[8];
    memcpy(m, &id, 4);
    memcpy(m + 4, &event, 2);
    memcpy(m + 6, &value, 2);
    guest_mem_write(&t->mem, MSG_BUF, m, 8);
    struct rig_buf b = { MSG_BUF, len, false };
    rig_chain(&t->rig, 3, &b, 1);
    rig_notify(&t->rig, 3);
}

/* The next control message the device sent: its id and event (and name, when name != NULL). */
static void expect_msg(struct t *t, unsigned *k, uint32_t id, uint16_t event, const char *name)
{
    uint32_t len = 0;
    assert_int_equal(rig_used_next(&t->rig, 2, &len), 1);
    uint8_t m[128];
    guest_mem_read(&t->mem, CTRL_RX_BUF + 128 * ((*k)++ % 4), m, len);
    uint32_t got_id;
    uint16_t got_event;
    memcpy(&got_id, m, 4);
    memcpy(&got_event, m + 4, 2);
    assert_int_equal(got_id, id);
    assert_int_equal(got_event, event);
    if (name) {
        assert_int_equal(len, 8 + strlen(name));
        assert_memory_equal(m + 8, name, strlen(name));
    }
}

static void handshake(void **state)
{
    (void)state;
    struct t t;
    unsigned k = 0;
    setup(&t);
    send_ctrl(&t, 0, VCON_DEVICE_READY, 1, 8);
    expect_msg(&t, &k, 0, VCON_DEVICE_ADD, NULL);
    expect_msg(&t, &k, 1, VCON_DEVICE_ADD, NULL);
    for (unsigned i = 0; i < 2; i++) {         /* two more buffers, where the first two were */
        struct rig_buf b = { CTRL_RX_BUF + 128 * i, 128, true };
        rig_chain(&t.rig, 2, &b, 1);
    }
    send_ctrl(&t, 1, VCON_PORT_READY, 1, 8);
    expect_msg(&t, &k, 1, VCON_PORT_NAME, "org.test");
    expect_msg(&t, &k, 1, VCON_PORT_OPEN, NULL);
    send_ctrl(&t, 0, VCON_PORT_READY, 1, 8);
    expect_msg(&t, &k, 0, VCON_CONSOLE_PORT, NULL);
    expect_msg(&t, &k, 0, VCON_PORT_OPEN, NULL);
    /* hostile: a short message and an unknown port change nothing */
    send_ctrl(&t, 1, VCON_PORT_OPEN, 1, 5);
    send_ctrl(&t, 77, VCON_PORT_READY, 1, 8);
    uint32_t len = 0;
    assert_int_equal(rig_used_next(&t.rig, 2, &len), 0);
    assert_false(t.c->ports[1].guest_open);
    assert_false(t.c->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    virtio_console_free(t.c);
    guest_mem_destroy(&t.mem);
}

static void data_both_ways(void **state)
{
    (void)state;
    struct t t;
    setup(&t);
    guest_mem_write(&t.mem, RIG_BUFS, "hello\n", 6);
    struct rig_buf b = { RIG_BUFS, 6, false };
    rig_chain(&t.rig, 5, &b, 1);               /* port 1 transmit */
    rig_notify(&t.rig, 5);
    assert_int_equal(t.be[1].n, 6);
    assert_memory_equal(t.be[1].out, "hello\n", 6);
    assert_int_equal(t.be[0].n, 0);
    /* host input: refused until the guest opens the port, then into its receive buffer */
    assert_int_equal(t.be[1].fe->receive(t.be[1].fe->opaque, (const uint8_t *)"abc", 3), 0);
    send_ctrl(&t, 1, VCON_PORT_OPEN, 1, 8);
    assert_int_equal(t.be[1].kicks, 1);
    assert_int_equal(t.be[1].fe->receive(t.be[1].fe->opaque, (const uint8_t *)"abc", 3), 0);
    struct rig_buf rx = { RIG_BUFS + 0x100, 2, true };
    rig_chain(&t.rig, 4, &rx, 1);
    rig_notify(&t.rig, 4);
    assert_int_equal(t.be[1].kicks, 2);
    assert_int_equal(t.be[1].fe->receive(t.be[1].fe->opaque, (const uint8_t *)"abc", 3), 2);
    uint32_t len = 0;
    assert_int_equal(rig_used_next(&t.rig, 4, &len), 1);
    assert_int_equal(len, 2);
    char got[2];
    guest_mem_read(&t.mem, RIG_BUFS + 0x100, got, 2);
    assert_memory_equal(got, "ab", 2);
    virtio_console_free(t.c);
    guest_mem_destroy(&t.mem);
}

/* Load t's saved section (in w) into c: the loader's answer. */
static int load_into(struct virtio_console *c, const struct vms_writer *w)
{
    static struct vms_index idx;
    struct vms_reader r;
    vms_test_reader(w, &idx, &r);
    return virtio_console_load(c, &r);
}

static void state_carries(void **state)
{
    (void)state;
    struct t a, b, other;
    setup(&a);
    setup(&b);
    send_ctrl(&a, 0, VCON_DEVICE_READY, 1, 8);     /* 2 DEVICE_ADDs into the 4 buffers */
    send_ctrl(&a, 0, VCON_PORT_READY, 1, 8);       /* CONSOLE_PORT, PORT_OPEN */
    send_ctrl(&a, 1, VCON_PORT_READY, 1, 8);       /* PORT_NAME, PORT_OPEN: no buffers, pending */
    send_ctrl(&a, 1, VCON_PORT_OPEN, 1, 8);
    assert_int_equal(a.c->npending, 2);
    struct vms_writer w;
    vms_writer_init(&w);
    vms_begin(&w, VMS_TAG('V', 'C', 'O', 'N'), 0);
    virtio_console_save(a.c, &w);
    vms_end(&w);
    assert_int_equal(vms_finish(&w), 0);
    assert_int_equal(load_into(b.c, &w), 0);
    assert_true(b.c->ports[1].guest_open);
    assert_false(b.c->ports[0].guest_open);
    assert_int_equal(b.c->npending, 2);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(b.c->pending[i].len, a.c->pending[i].len);
        assert_memory_equal(b.c->pending[i].buf, a.c->pending[i].buf, a.c->pending[i].len);
    }
    memset(&other, 0, sizeof(other));
    assert_int_equal(guest_mem_init(&other.mem, RIG_RAM), 0);
    other.c = virtio_console_new(&other.mem);
    assert_int_equal(virtio_console_add_port(other.c, true, NULL, link_of(&other.be[0])), 0);
    assert_int_equal(virtio_console_add_port(other.c, false, "org.other", link_of(&other.be[1])), 1);
    assert_int_equal(load_into(other.c, &w), -EINVAL);   /* another port name */
    assert_int_equal(other.c->npending, 0);
    /* The first pending message's length (after the 12-byte section header, the version, 4 ports of
     * 4 bytes and port 1's 8-byte name, and the count): shorter than a control header is refused. */
    assert_int_equal(w.buf[12 + 1 + 16 + 8 + 1], 16);   /* PORT_NAME + "org.test" */
    w.buf[12 + 1 + 16 + 8 + 1] = 3;
    assert_int_equal(load_into(b.c, &w), -EINVAL);
    vms_writer_free(&w);
    virtio_console_free(a.c);
    virtio_console_free(b.c);
    virtio_console_free(other.c);
    guest_mem_destroy(&a.mem);
    guest_mem_destroy(&b.mem);
    guest_mem_destroy(&other.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake),
        cmocka_unit_test(data_both_ways),
        cmocka_unit_test(state_carries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
