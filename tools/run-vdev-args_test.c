/* vmon run's rng/serial/vsock/chardev options in both spellings, and the errors a user meets. */
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

static void qemu_spellings(void **state)
{
    (void)state;
    static struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-device", "virtio-rng-pci,max-bytes=1024,period=500",
                           "-device", "virtio-serial-pci",
                           "-chardev", "socket,id=s0,path=/tmp/s,server=on,wait=off",
                           "-chardev", "file,id=f0,path=/tmp/f",
                           "-device", "virtconsole,chardev=f0",
                           "-device", "virtserialport,chardev=s0,name=org.x",
                           "-device", "vhost-vsock-pci,guest-cid=5,uds=/tmp/v", NULL), RUN_ARGS_OK);
    const struct vm_vdev_config *v = &c.vdev;
    assert_true(v->rng);
    assert_int_equal(v->rng_max_bytes, 1024);
    assert_int_equal(v->rng_period_ms, 500);
    assert_true(v->serial);
    assert_int_equal(v->nchardevs, 2);
    assert_int_equal(v->nports, 2);
    assert_true(v->ports[0].console);
    assert_string_equal(v->ports[0].chardev, "f0");
    assert_false(v->ports[1].console);
    assert_string_equal(v->ports[1].name, "org.x");
    assert_true(v->vsock);
    assert_int_equal(v->vsock_cid, 5);
    assert_string_equal(v->vsock_uds, "/tmp/v");
    /* isa-debug-exit still parses beside them */
    assert_int_equal(parse(&c, err, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", NULL),
                     RUN_ARGS_OK);
}

static void vmon_spellings(void **state)
{
    (void)state;
    static struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--rng", "on", "--chardev", "stdio,id=out",
                           "--virtconsole", "chardev=out", "--vsock", "cid=3,uds=/tmp/v.sock", NULL),
                     RUN_ARGS_OK);
    assert_true(c.vdev.rng);
    assert_int_equal(c.vdev.rng_max_bytes, 0);
    assert_true(c.vdev.serial);
    assert_int_equal(c.vdev.nports, 1);
    assert_int_equal(c.vdev.vsock_cid, 3);
}

static void errors(void **state)
{
    (void)state;
    static struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-chardev", "file,id=f,path=/x", "-device", "virtconsole,chardev=f",
                           NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "virtio-serial-pci"));
    assert_int_equal(parse(&c, err, "-device", "virtio-serial-pci", "-device", "virtconsole,chardev=nope",
                           NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "no -chardev"));
    assert_int_equal(parse(&c, err, "-device", "vhost-vsock-pci,guest-cid=2", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "guest CID"));
    assert_int_equal(parse(&c, err, "-device", "vhost-vsock-pci", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-device", "virtio-rng-pci,period=0", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-device", "virtio-rng-pci,max-bytes=x", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-device", "virtio-rng-pci,bogus=1", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-chardev", "stdio,id=a", "-chardev", "stdio,id=a", NULL),
                     RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "duplicate"));
    assert_int_equal(parse(&c, err, "-device", "e1000", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "unsupported device"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qemu_spellings),
        cmocka_unit_test(vmon_spellings),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
