/* Unit tests of the gdbstub's framing and dispatcher against the fake machine (fake-machine.h):
 * checksums and escapes, registers in gdb's amd64 and i386 orders, memory with breakpoints hidden,
 * Z0-Z4 and what each vCPU is told on resume, vCont, threads, queries, and malformed packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "gdbstub/fake-machine.h"

struct fix {
    struct fake_machine m;
    struct gdb_ops ops;
    struct gdb_session s;
    char reply[GDB_REPLY_MAX + 1];
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    fake_ops(&f->m, &f->ops);
    gdb_session_init(&f->s, &f->ops, FAKE_CPUS, true);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Handle pkt; return the reply (NUL-terminated) and the action in *a. */
static const char *req(struct fix *f, const char *pkt, enum gdb_action *a)
{
    size_t len;
    enum gdb_action r = gdb_handle(&f->s, pkt, strlen(pkt), f->reply, &len);
    f->reply[len] = 0;
    if (a)
        *a = r;
    return f->reply;
}

static void feed(struct gdb_rx *rx, const char *bytes, enum gdb_rx_event want_last)
{
    enum gdb_rx_event e = GDB_RX_NONE;
    for (const char *p = bytes; *p; p++)
        e = gdb_rx_byte(rx, (uint8_t)*p);
    assert_int_equal(e, want_last);
}

static void test_framing(void **state)
{
    (void)state;
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    feed(&rx, "$g#67", GDB_RX_PACKET);
    assert_string_equal(rx.buf, "g");
    feed(&rx, "$g#68", GDB_RX_BAD);
    feed(&rx, "$X0,1:}]#f9", GDB_RX_PACKET);   /* }] is an escaped '}' */
    assert_int_equal(rx.len, 6);
    assert_int_equal(rx.buf[5], '}');
    assert_int_equal(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
    assert_int_equal(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
    feed(&rx, "$g#zz", GDB_RX_BAD);
    char out[32];
    size_t n = gdb_frame("a#b", 3, out, sizeof(out));
    out[n] = 0;
    assert_string_equal(out, "$a}\x03" "b#43");
    assert_int_equal(gdb_frame("abc", 3, out, 5), 0);   /* too small: nothing */
    /* An over-long body is dropped whole. */
    char *big = malloc(GDB_PACKET_MAX + 16);
    memset(big, 'a', GDB_PACKET_MAX + 15);
    big[0] = '$';
    big[GDB_PACKET_MAX + 15] = 0;
    feed(&rx, big, GDB_RX_NONE);
    feed(&rx, "#00", GDB_RX_BAD);
    free(big);
}

static void test_registers(void **state)
{
    struct fix *f = *state;
    f->m.regs[0].cpu.gpr[R_RBX] = 0x1122334455667788ull;
    f->m.regs[0].cpu.rip = 0xffffffff81000000ull;
    f->m.regs[0].cpu.cr3 = 0x9000;
    f->m.regs[0].fpu.xmm[1][0] = 0xab;
    const char *g = req(f, "g", NULL);
    /* amd64 order: rax, rbx...: rbx is the second 8 bytes, little-endian. */
    assert_memory_equal(g + 16, "8877665544332211", 16);
    assert_string_equal(req(f, "p10", NULL), "00000081ffffffff");   /* register 16: rip */
    assert_string_equal(req(f, "p3d", NULL), "0090000000000000");   /* 61: cr3 */
    assert_memory_equal(req(f, "p29", NULL), "ab00", 4);            /* 41: xmm1 */
    assert_string_equal(req(f, "P0=0100000000000000", NULL), "OK");
    assert_int_equal(f->m.regs[0].cpu.gpr[R_RAX], 1);
    assert_string_equal(req(f, "P0=01", NULL), "E16");             /* wrong size */
    assert_string_equal(req(f, "p999", NULL), "E16");
    /* G writes back what g read. */
    char *copy = strdup(req(f, "g", NULL));
    f->m.regs[0].cpu.gpr[R_RBX] = 0;
    char *pkt = malloc(strlen(copy) + 2);
    sprintf(pkt, "G%s", copy);
    assert_string_equal(req(f, pkt, NULL), "OK");
    assert_int_equal(f->m.regs[0].cpu.gpr[R_RBX], 0x1122334455667788ull);
    free(pkt);
    free(copy);
    assert_string_equal(req(f, "Gzz", NULL), "E16");
    /* The i386 view: eax ecx edx ebx, 4 bytes each. */
    f->s.is64 = false;
    assert_memory_equal(req(f, "g", NULL) + 24, "88776655", 8);
    assert_string_equal(req(f, "p8", NULL), "00000081");            /* eip */
}

static void test_memory_and_sw_bp(void **state)
{
    struct fix *f = *state;
    assert_string_equal(req(f, "M10000,4:90909090", NULL), "OK");
    assert_string_equal(req(f, "Z0,ffff800000010001,1", NULL), "OK");
    assert_int_equal(f->m.ram[1], 0xcc);                            /* int3 in guest RAM */
    assert_string_equal(req(f, "mffff800000010000,4", NULL), "90909090");   /* but not shown */
    assert_string_equal(req(f, "Xffff800000010001,1:\x55", NULL), "OK");      /* written under the bp */
    assert_int_equal(f->m.ram[1], 0xcc);
    assert_string_equal(req(f, "mffff800000010000,2", NULL), "9055");
    enum gdb_action a;
    req(f, "c", &a);
    assert_int_equal(a, GDB_ACT_RESUMED);
    assert_true(f->m.debug[0].sw_bp && f->m.debug[1].sw_bp);
    assert_false(f->m.debug[0].single_step);
    assert_string_equal(req(f, "z0,ffff800000010001,1", NULL), "OK");
    assert_int_equal(f->m.ram[1], 0x55);
    /* Physical mode. */
    assert_string_equal(req(f, "Qqemu.PhyMemMode:1", NULL), "OK");
    assert_string_equal(req(f, "qqemu.PhyMemMode", NULL), "1");
    assert_string_equal(req(f, "m10000,2", NULL), "9055");
    assert_string_equal(req(f, "mffff800000010000,2", NULL), "E0e");   /* not RAM physically */
    /* Partial reads stop at the end of RAM; none at all is an error. */
    assert_string_equal(req(f, "m1fffe,4", NULL), "0000");
    assert_string_equal(req(f, "m5,4", NULL), "E0e");
    assert_string_equal(req(f, "m10000", NULL), "E16");
    assert_string_equal(req(f, "M10000,2:9", NULL), "E16");
}

static void test_hw_bp_and_step(void **state)
{
    struct fix *f = *state;
    assert_string_equal(req(f, "Z2,10040,8", NULL), "OK");
    assert_string_equal(req(f, "Z1,10000,1", NULL), "OK");
    assert_string_equal(req(f, "Z3,10041,4", NULL), "E16");          /* misaligned */
    assert_string_equal(req(f, "Z2,10040,3", NULL), "E16");          /* no such length */
    enum gdb_action a;
    req(f, "vCont;s:2;c", &a);
    assert_int_equal(a, GDB_ACT_RESUMED);
    assert_true(f->m.debug[1].single_step);
    assert_false(f->m.debug[0].single_step);
    /* Slot 3 (first free from the top... slots are taken lowest first): DR7 has both. */
    uint64_t dr7 = f->m.debug[0].hw_dr7;
    int wslot = f->m.debug[0].hw_addr[0] == 0x10040 ? 0 : 1;
    assert_int_equal(f->m.debug[0].hw_addr[wslot], 0x10040);
    assert_int_equal((dr7 >> (2 * wslot)) & 3, 1);                   /* L bit */
    assert_int_equal((dr7 >> (16 + 4 * wslot)) & 15, 0x9);           /* write, 8 bytes */
    struct vcpu_debug_event ev = { VCPU_DBG_HW, 1u << wslot };
    size_t n = gdb_stop_reply(&f->s, 1, 5, &ev, f->reply, sizeof(f->reply));
    f->reply[n] = 0;
    assert_string_equal(f->reply, "T05thread:2;watch:10040;");
    ev = (struct vcpu_debug_event){ VCPU_DBG_SW_BP, 0 };
    n = gdb_stop_reply(&f->s, 0, 5, &ev, f->reply, sizeof(f->reply));
    f->reply[n] = 0;
    assert_string_equal(f->reply, "T05thread:1;swbreak:;");
    assert_string_equal(req(f, "z2,10040,8", NULL), "OK");
    req(f, "s", &a);
    assert_int_equal(a, GDB_ACT_RESUMED);
    assert_true(f->m.debug[0].single_step);
    assert_string_equal(req(f, "vCont;x", &a), "E16");
    assert_int_equal(a, GDB_ACT_REPLY);
    /* Where the accelerator cannot: the empty reply (gdb: "could not insert"). */
    f->m.no_hw_debug = true;
    assert_string_equal(req(f, "Z4,10080,4", NULL), "");
}

static void test_queries_and_threads(void **state)
{
    struct fix *f = *state;
    const char *r = req(f, "qSupported:multiprocess+;swbreak+", NULL);
    assert_non_null(strstr(r, "PacketSize=4000"));
    assert_non_null(strstr(r, "qXfer:features:read+"));
    assert_string_equal(req(f, "QStartNoAckMode", NULL), "OK");
    assert_true(f->s.no_ack);
    r = req(f, "qXfer:features:read:target.xml:0,20", NULL);
    assert_int_equal(r[0], 'm');
    assert_int_equal(strlen(r), 0x21);
    r = req(f, "qXfer:features:read:target.xml:0,4000", NULL);
    assert_int_equal(r[0], 'l');
    assert_non_null(strstr(r, "i386:x86-64"));
    assert_non_null(strstr(r, "name=\"cr3\""));
    assert_non_null(strstr(r, "name=\"xmm15\""));
    assert_non_null(strstr(r, "name=\"fs_base\""));
    assert_string_equal(req(f, "qXfer:features:read:target.xml:ffff,10", NULL), "l");
    assert_string_equal(req(f, "qXfer:features:read:other.xml:0,10", NULL), "E00");
    assert_string_equal(req(f, "qfThreadInfo", NULL), "m1,2");
    assert_string_equal(req(f, "qsThreadInfo", NULL), "l");
    assert_string_equal(req(f, "Hg2", NULL), "OK");
    assert_string_equal(req(f, "Hg3", NULL), "E16");
    assert_string_equal(req(f, "T2", NULL), "OK");
    assert_string_equal(req(f, "T9", NULL), "E16");
    assert_string_equal(req(f, "qThreadExtraInfo,2", NULL), "764350552031");   /* "vCPU 1" */
    assert_string_equal(req(f, "qRcmd,696e666f", NULL), "72616e3a20696e666f0a");   /* "ran: info\n" */
    assert_int_equal(f->m.monitors, 1);
    assert_string_equal(req(f, "qRcmd,6", NULL), "E16");
    assert_string_equal(req(f, "vMustReplyEmpty", NULL), "");
    assert_string_equal(req(f, "qUnknown", NULL), "");
    f->s.is64 = false;
    r = req(f, "qXfer:features:read:target.xml:0,4000", NULL);
    assert_non_null(strstr(r, "<architecture>i386</architecture>"));
    assert_null(strstr(r, "xmm8"));
}

static void test_detach_and_kill(void **state)
{
    struct fix *f = *state;
    f->m.ram[0] = 0x90;
    req(f, "Z0,10000,1", NULL);
    req(f, "Z2,10040,8", NULL);
    enum gdb_action a;
    assert_string_equal(req(f, "D", &a), "OK");
    assert_int_equal(a, GDB_ACT_DETACH);
    assert_int_equal(f->m.ram[0], 0x90);                           /* int3 taken out */
    assert_int_equal(f->m.debug[0].hw_dr7, 0);
    assert_false(f->m.debug[0].sw_bp);
    assert_int_equal(f->m.resumed, 1);
    req(f, "k", &a);
    assert_int_equal(a, GDB_ACT_KILL);
    assert_int_equal(f->m.killed, 1);
}

static void test_malformed(void **state)
{
    struct fix *f = *state;
    static const char *const bad[] = {
        "m", "m,", "mffffffffffffffffff,1", "M1,ffffffffffffffff:00", "X1,5:ab", "Z", "Z0", "Z0,",
        "Z0,1,", "z9,1,1", "H", "Hx", "Hg-2", "P", "P1", "P1=", "pzz", "C", "Czz", "c12zz", "vCont;",
        "vCont;s:", "vCont;s:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "qXfer:features:read:target.xml:",
        "qXfer:features:read:target.xml:1,", "qThreadExtraInfo,", "qRcmd,zz", "T", "G1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum gdb_action a;
        req(f, bad[i], &a);
        assert_int_equal(a, GDB_ACT_REPLY);
    }
    assert_int_equal(f->m.resumed, 0);
    /* A NUL inside anything but X is refused. */
    size_t len;
    assert_int_equal(gdb_handle(&f->s, "g\0x", 3, f->reply, &len), GDB_ACT_REPLY);
    f->reply[len] = 0;
    assert_string_equal(f->reply, "E16");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
        cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_and_sw_bp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hw_bp_and_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries_and_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detach_and_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
