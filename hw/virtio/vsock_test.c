/* virtio-vsock on fake queues with real Unix sockets for the host side: a guest REQUEST to host
 * port P connects to <uds>_P and is answered RESPONSE, its RW bytes reach that socket; the host's
 * "CONNECT P" through uds becomes a REQUEST, the guest's RESPONSE an "OK <port>" line, host bytes
 * an RW packet. Hostile packets (wrong CID, a payload longer than the chain, data on no connection)
 * are answered with RST; a chain too short for a header is dropped; vmon goes on. A restore
 * (vsock-state.c) closes the connections and puts one TRANSPORT_RESET event in the event queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <errno.h>

#include "hw/virtio/vsock.h"
#include "hw/virtio/vq_rig.h"
#include "migration/vmstate.h"
#include "migration/vms-rig_test.h"

#define TX_BUF (RIG_BUFS)
#define RX_BUF (RIG_BUFS + 0x10000)    /* receive buffers of 4 KiB */

struct t {
    struct guest_mem mem;
    struct virtio_vsock *s;
    struct vq_rig rig;
    char dir[40], uds[64];
    unsigned rx_k;
};

static void setup(struct t *t)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(guest_mem_init(&t->mem, RIG_RAM), 0);
    strcpy(t->dir, "/tmp/vmon-vsock-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->uds, sizeof(t->uds), "%s/v.sock", t->dir);
    char err[128];
    t->s = virtio_vsock_new(&t->mem, NULL, 3, t->uds, err, sizeof(err));
    assert_non_null(t->s);
    rig_start(&t->rig, &t->mem, &t->s->vdev);
    for (unsigned i = 0; i < 4; i++) {
        struct rig_buf b = { RX_BUF + 0x1000 * i, 0x1000, true };
        rig_chain(&t->rig, 0, &b, 1);
    }
    rig_notify(&t->rig, 0);
}

static void teardown(struct t *t)
{
    virtio_vsock_free(t->s);
    guest_mem_destroy(&t->mem);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
    assert_int_equal(system(cmd), 0);
}

static void send_pkt(struct t *t, uint64_t src_cid, uint32_t src_port, uint32_t dst_port,
                     uint16_t op, const char *data, uint32_t claimed_len)
{
    struct vsock_hdr h = { .src_cid = src_cid, .dst_cid = 2, .src_port = src_port,
                           .dst_port = dst_port, .len = claimed_len, .type = 1, .op = op,
                           .buf_alloc = 65536 };
    uint8_t hb[VSOCK_HDR_LEN];
    vsock_hdr_put(hb, &h);
    guest_mem_write(&t->mem, TX_BUF, hb, sizeof(hb));
    uint32_t n = data ? (uint32_t)strlen(data) : 0;
    guest_mem_write(&t->mem, TX_BUF + 0x100, data ? data : "", n);
    struct rig_buf b[2] = { { TX_BUF, VSOCK_HDR_LEN, false }, { TX_BUF + 0x100, n, false } };
    rig_chain(&t->rig, 1, b, n ? 2 : 1);
    rig_notify(&t->rig, 1);
}

/* The next packet the device put in a receive buffer (and its payload into data). */
static int recv_pkt(struct t *t, struct vsock_hdr *h, char *data)
{
    uint32_t len = 0;
    if (!rig_used_next(&t->rig, 0, &len))
        return 0;
    uint8_t b[0x1000];
    uint64_t at = RX_BUF + 0x1000 * (t->rx_k++ % 4);
    guest_mem_read(&t->mem, at, b, len);
    assert_int_equal(vsock_hdr_parse(b, len, h), 0);
    if (data) {
        memcpy(data, b + VSOCK_HDR_LEN, h->len);
        data[h->len] = 0;
    }
    struct rig_buf again = { at, 0x1000, true };       /* give the buffer back */
    rig_chain(&t->rig, 0, &again, 1);
    return 1;
}

static int listen_at(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    assert_true(strlen(path) < sizeof(a.sun_path));
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 1), 0);
    return fd;
}

static void guest_connects(void **state)
{
    (void)state;
    struct t t;
    struct vsock_hdr h;
    char path[80], data[128];
    setup(&t);
    snprintf(path, sizeof(path), "%s_5000", t.uds);
    int srv = listen_at(path);
    send_pkt(&t, 3, 1234, 5000, VSOCK_OP_REQUEST, NULL, 0);
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_RESPONSE);
    assert_int_equal(h.dst_port, 1234);
    assert_int_equal(h.src_port, 5000);
    int c = accept(srv, NULL, NULL);
    send_pkt(&t, 3, 1234, 5000, VSOCK_OP_RW, "ping\n", 5);
    char got[8] = { 0 };
    assert_int_equal(read(c, got, sizeof(got)), 5);
    assert_string_equal(got, "ping\n");
    assert_int_equal(write(c, "pong\n", 5), 5);
    vsock_on_events(t.s);                  /* what the event loop would run */
    assert_int_equal(recv_pkt(&t, &h, data), 1);
    assert_int_equal(h.op, VSOCK_OP_RW);
    assert_string_equal(data, "pong\n");
    send_pkt(&t, 3, 1234, 5000, VSOCK_OP_SHUTDOWN, NULL, 0);   /* flags 0: nothing yet */
    close(c);
    vsock_on_events(t.s);
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_SHUTDOWN);
    assert_int_equal(h.flags, 3);
    close(srv);
    teardown(&t);
}

static void host_connects(void **state)
{
    (void)state;
    struct t t;
    struct vsock_hdr h;
    char data[128];
    setup(&t);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    memcpy(a.sun_path, t.uds, strlen(t.uds) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    vsock_on_events(t.s);                  /* accept */
    assert_int_equal(write(fd, "CONNECT 52\n", 11), 11);
    for (int i = 0; i < 11; i++)
        vsock_on_events(t.s);              /* one byte of the line each */
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_REQUEST);
    assert_int_equal(h.dst_port, 52);
    uint32_t hp = h.src_port;
    send_pkt(&t, 3, 52, hp, VSOCK_OP_RESPONSE, NULL, 0);
    char line[32] = { 0 };
    assert_true(read(fd, line, sizeof(line) - 1) > 0);
    char want[32];
    snprintf(want, sizeof(want), "OK %u\n", hp);
    assert_string_equal(line, want);
    assert_int_equal(write(fd, "to-guest", 8), 8);
    vsock_on_events(t.s);
    assert_int_equal(recv_pkt(&t, &h, data), 1);
    assert_int_equal(h.op, VSOCK_OP_RW);
    assert_string_equal(data, "to-guest");
    close(fd);
    teardown(&t);
}

static void hostile_packets(void **state)
{
    (void)state;
    struct t t;
    struct vsock_hdr h;
    setup(&t);
    send_pkt(&t, 9, 1, 5000, VSOCK_OP_REQUEST, NULL, 0);          /* not the guest's CID */
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_RST);
    send_pkt(&t, 3, 1, 6000, VSOCK_OP_REQUEST, NULL, 0);          /* nobody at <uds>_6000 */
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_RST);
    send_pkt(&t, 3, 1, 6000, VSOCK_OP_RW, "abc", 1000000);        /* payload not in the chain */
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_RST);
    send_pkt(&t, 3, 1, 6000, VSOCK_OP_RW, "abc", 3);              /* no such connection */
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_RST);
    send_pkt(&t, 3, 1, 6000, VSOCK_OP_RST, NULL, 0);              /* a reset is not answered */
    assert_int_equal(recv_pkt(&t, &h, NULL), 0);
    struct rig_buf b = { TX_BUF, 10, false };                     /* shorter than a header */
    rig_chain(&t.rig, 1, &b, 1);
    rig_notify(&t.rig, 1);
    assert_int_equal(recv_pkt(&t, &h, NULL), 0);
    assert_false(t.s->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    teardown(&t);
}

#define EV_BUF (RIG_BUFS + 0x20000)

static void restore_resets(void **state)
{
    (void)state;
    struct t t;
    struct vsock_hdr h;
    char path[80];
    setup(&t);
    snprintf(path, sizeof(path), "%s_5000", t.uds);
    int srv = listen_at(path);
    send_pkt(&t, 3, 1234, 5000, VSOCK_OP_REQUEST, NULL, 0);
    assert_int_equal(recv_pkt(&t, &h, NULL), 1);
    assert_int_equal(h.op, VSOCK_OP_RESPONSE);
    int c = accept(srv, NULL, NULL);
    struct vms_writer w;
    vms_writer_init(&w);
    vms_begin(&w, VMS_TAG('V', 'S', 'C', 'K'), 0);
    virtio_vsock_save(t.s, &w);
    vms_end(&w);
    assert_int_equal(vms_finish(&w), 0);
    static struct vms_index idx;
    struct vms_reader r;
    vms_test_reader(&w, &idx, &r);
    r.len = 3;                                 /* cut short: refused, nothing closed */
    assert_int_equal(virtio_vsock_load(t.s, &r), -EINVAL);
    unsigned open = 0;
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        open += t.s->conns[i].state == VC_ESTABLISHED;
    assert_int_equal(open, 1);
    vms_reader_init(&r, &idx.s[0]);
    assert_int_equal(virtio_vsock_load(t.s, &r), 0);
    char b;
    assert_int_equal(read(c, &b, 1), 0);       /* the host side of the connection is closed */
    struct rig_buf ev = { EV_BUF, 8, true };
    guest_mem_write(&t.mem, EV_BUF, "\xff\xff\xff\xff", 4);
    rig_chain(&t.rig, 2, &ev, 1);
    rig_notify(&t.rig, 2);
    uint32_t len = 0;
    assert_true(rig_used_next(&t.rig, 2, &len));
    assert_int_equal(len, 4);
    uint8_t id[4];
    guest_mem_read(&t.mem, EV_BUF, id, 4);
    assert_memory_equal(id, "\0\0\0\0", 4);  /* VIRTIO_VSOCK_EVENT_TRANSPORT_RESET */
    rig_chain(&t.rig, 2, &ev, 1);
    rig_notify(&t.rig, 2);
    assert_false(rig_used_next(&t.rig, 2, &len));   /* one event only */
    vms_writer_free(&w);
    close(c);
    close(srv);
    teardown(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guest_connects),
        cmocka_unit_test(host_connects),
        cmocka_unit_test(hostile_packets),
        cmocka_unit_test(restore_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
