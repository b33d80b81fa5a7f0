/* vmon run's network options (tools/run-net.c) in both spellings, and the refusals; hostfwd and
 * MAC values (net/net.c). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tools/run-args.h"

static int parse(struct vm_config *cfg, char *err, const char *first, ...)
{
    char *argv[32] = { "run", "--kernel", "k" };
    int argc = 3;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    err[0] = 0;
    return run_parse_args(argc, argv, cfg, err, 256);
}

static void user_with_hostfwd(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--net", "user,hostfwd=tcp::5555-:22,hostfwd=udp:127.0.0.1:53-10.0.2.15:5353,restrict=on",
                           NULL), RUN_ARGS_OK);
    assert_int_equal(c.nnics, 1);
    const struct net_config *n = &c.nics[0].net;
    assert_int_equal(n->kind, NET_USER);
    assert_true(n->restricted);
    assert_int_equal(n->nfwds, 2);
    assert_false(n->fwds[0].udp);
    assert_int_equal(n->fwds[0].host_port, 5555);
    assert_int_equal(n->fwds[0].guest_port, 22);
    assert_int_equal(n->fwds[0].host_addr, 0);
    assert_true(n->fwds[1].udp);
    assert_int_equal(n->fwds[1].host_addr, inet_addr("127.0.0.1"));
    assert_int_equal(n->fwds[1].guest_addr, inet_addr("10.0.2.15"));
    assert_int_equal(n->mtu, 0);                         /* not given: 1500, not announced */
    assert_false(n->no_ipv6);                            /* QEMU's default: IPv6 on */
    assert_int_equal(parse(&c, err, "-netdev", "user,id=u,ipv6=off", "-device", "virtio-net-pci,netdev=u", NULL),
                     RUN_ARGS_OK);
    assert_true(c.nics[0].net.no_ipv6);
    assert_int_equal(parse(&c, err, "--net", "user,ipv6=maybe", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--net", "tap,ifname=t0,ipv6=off", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--net", "user,mtu=9000", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nics[0].net.mtu, 9000);
    assert_int_equal(c.nics[0].net.mrg_rxbuf, 0);
    assert_int_equal(parse(&c, err, "--net", "user,mrg_rxbuf=off", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nics[0].net.mrg_rxbuf, -1);
    assert_int_equal(parse(&c, err, "-netdev", "user,id=u", "-device", "virtio-net-pci,netdev=u,mrg_rxbuf=off", NULL),
                     RUN_ARGS_OK);
    assert_int_equal(c.nics[0].net.mrg_rxbuf, -1);
    assert_int_equal(c.nics[0].net.guest_tso4, 0);
    assert_int_equal(parse(&c, err, "--net", "user,guest_tso4=off", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nics[0].net.guest_tso4, -1);
    assert_int_equal(c.nics[0].net.guest_tso6, 0);
    assert_int_equal(c.nics[0].net.mrg_rxbuf, 0);
    assert_int_equal(parse(&c, err, "-nic", "user,guest_tso6=off,guest_tso4=on", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nics[0].net.guest_tso4, 1);
    assert_int_equal(c.nics[0].net.guest_tso6, -1);
    assert_int_equal(parse(&c, err, "-netdev", "user,id=u", "-device", "virtio-net-pci,netdev=u,guest_tso4=on,guest_tso6=off",
                           NULL), RUN_ARGS_OK);
    assert_int_equal(c.nics[0].net.guest_tso4, 1);
    assert_int_equal(c.nics[0].net.guest_tso6, -1);
    assert_int_equal(c.nics[0].net.mrg_rxbuf, 0);
}

static void qemu_spellings(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-netdev", "tap,id=t0,ifname=vm0,queues=2,script=no,downscript=no",
                           "-device", "virtio-net-pci,netdev=t0,mac=52:54:00:aa:bb:cc,mq=on,id=nic0",
                           "-nic", "user,model=virtio-net-pci", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nnics, 2);
    assert_int_equal(c.nics[0].net.kind, NET_TAP);
    assert_string_equal(c.nics[0].net.ifname, "vm0");
    assert_int_equal(c.nics[0].net.queues, 2);
    assert_true(c.nics[0].net.has_mac);
    assert_int_equal(c.nics[0].net.mac[5], 0xcc);
    assert_int_equal(c.nics[1].net.kind, NET_USER);
    assert_int_equal(parse(&c, err, "-nic", "none", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nnics, 0);
}

static void refusals(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    static const char *const bad[][2] = {
        { "--net", "bridge" },
        { "--net", "user,hostfwd=tcp::0-:22" },
        { "--net", "user,hostfwd=tcp:5555-22" },
        { "--net", "user,ifname=x" },
        { "--net", "tap" },
        { "--net", "tap,ifname=x,queues=9" },
        { "--net", "user,mtu=575" },
        { "--net", "user,mrg_rxbuf=maybe" },
        { "--net", "user,guest_tso4=maybe" },
        { "-nic", "user,guest_tso6=1" },
        { "--net", "user,mtu=65521" },
        { "--net", "user,mtu=1500x" },
        { "--net", "tap,ifname=x,mtu=1500" },
        { "--net", "user,mac=01:00:00:00:00:01" },
        { "-nic", "user,model=e1000" },
        { "-netdev", "user" },
        { "-netdev", "tap,id=a,ifname=x,script=/etc/qemu-ifup" },
        { "-device", "virtio-net-pci,netdev=nope" },
        { "-device", "virtio-net-pci,vectors=4" },
        { "-netdev", "user,id=lonely" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&c, err, bad[i][0], bad[i][1], NULL), RUN_ARGS_ERROR);
        assert_true(err[0]);
        printf("refused: %s %s: %s\n", bad[i][0], bad[i][1], err);
    }
    assert_int_equal(parse(&c, err, "-netdev", "user,id=a", "-device", "virtio-net-pci,netdev=a",
                           "-device", "virtio-net-pci,netdev=a", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "already"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_with_hostfwd),
        cmocka_unit_test(qemu_spellings),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
