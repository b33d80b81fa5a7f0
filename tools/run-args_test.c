/* vmon run's argument parsing: the errors a user meets, and QEMU's spellings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools/run-args.h"

#define MIB (1024ull * 1024)

static int parse(struct vm_config *cfg, char *err, const char *first, ...)
{
    char *argv[32] = { "run" };
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    err[0] = 0;
    return run_parse_args(argc, argv, cfg, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--kernel", "k", NULL), RUN_ARGS_OK);
    assert_string_equal(c.kernel, "k");
    assert_int_equal(c.mem_size, 512 * MIB);
    assert_int_equal(c.ncpus, 1);
    assert_string_equal(c.accel, "auto");
    assert_null(c.initrd);
    assert_false(c.exit_stats);
}

static void test_native_options(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--kernel", "k", "--initrd", "i", "--append", "console=ttyS0",
                           "--mem=2G", "--cpus", "4", "--accel", "soft", "--cpu-features",
                           "-cx16,-xsave", "--exit-stats", "--trace", "t", NULL), RUN_ARGS_OK);
    assert_string_equal(c.initrd, "i");
    assert_string_equal(c.cmdline, "console=ttyS0");
    assert_int_equal(c.mem_size, 2048 * MIB);
    assert_int_equal(c.ncpus, 4);
    assert_string_equal(c.accel, "soft");
    assert_string_equal(c.cpu_features, "-cx16,-xsave");
    assert_true(c.exit_stats);
    assert_string_equal(c.trace, "t");
}

static void test_help_version(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--help", NULL), RUN_ARGS_HELP);
    assert_int_equal(parse(&c, err, "--version", NULL), RUN_ARGS_VERSION);
}

static void test_errors(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    /* No kernel is a firmware boot (SeaBIOS, or -bios FILE); --initrd/--append still need one. */
    assert_int_equal(parse(&c, err, NULL), RUN_ARGS_OK);
    assert_null(c.kernel);
    assert_null(c.bios);
    assert_int_equal(parse(&c, err, "-bios", "fw.bin", "-m", "64", NULL), RUN_ARGS_OK);
    assert_string_equal(c.bios, "fw.bin");
    assert_int_equal(parse(&c, err, "--append", "console=ttyS0", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "need a kernel"));
    assert_int_equal(parse(&c, err, "--initrd", "i", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "need a kernel"));
    assert_int_equal(parse(&c, err, "--kernel", "k", "--mem", "0", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "--mem 0"));
    assert_int_equal(parse(&c, err, "--kernel", "k", "--mem", "lots", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--mem", "-5", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--mem", "12X", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--mem", "99999999999999999999", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpus", "0", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpus", "65", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpus", "two", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--accel", "xen", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "xen"));
    assert_int_equal(parse(&c, err, "--kernel", "k", "--bogus", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "'--bogus'"));
    assert_int_equal(parse(&c, err, "--kernel", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse(&c, err, "--exit-stats=1", "--kernel", "k", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "a", "b", "c", "d", "e", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "at most 4 IDE drives"));
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpu-features", "-cx16,-nosuch", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "nosuch"));
}

static void test_qemu_spellings(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-kernel", "k", "-initrd", "i", "-append", "a", "-m", "256",
                           "-smp", "2", "-cpu", "host,-xsave,cx16=off,+x2apic", "-enable-kvm",
                           "-nographic", "-display", "none", "-serial", "stdio", "-nodefaults",
                           "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", NULL),
                     RUN_ARGS_OK);
    assert_int_equal(c.mem_size, 256 * MIB);
    assert_int_equal(c.ncpus, 2);
    assert_string_equal(c.accel, "kvm");
    assert_string_equal(c.cpu_features, "-xsave,-cx16,+x2apic");
    assert_int_equal(c.cpu_model.vendor, cpu_vendor_host());
    assert_string_equal(c.cpu_model.name, "host");
    assert_true(c.nographic);
    assert_false(c.no_vga);
    assert_int_equal(parse(&c, err, "-vga", "none", NULL), RUN_ARGS_OK);
    assert_true(c.no_vga);
    assert_false(c.nographic);
    assert_int_equal(parse(&c, err, "-kernel", "k", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.vendor, CPU_VENDOR_INTEL);
    assert_string_equal(c.cpu_model.name, "max");
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpu", "amd", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.vendor, CPU_VENDOR_AMD);
    assert_null(c.cpu_features);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpu", "intel,-cx16", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.vendor, CPU_VENDOR_INTEL);
    assert_string_equal(c.cpu_features, "-cx16");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-cpu", "EPYC,+popcnt", NULL), RUN_ARGS_OK);
    assert_string_equal(c.cpu_model.name, "EPYC");
    assert_int_equal(c.cpu_model.family, 23);
    assert_string_equal(c.cpu_features, "+popcnt");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-cpu", "Skylake-Client", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.model, 94);
    assert_int_equal(c.cpu_model.kvm_pv, CPU_PV_DEFAULT);
    /* kvm=on|off: KVM's paravirtual interface, in either spelling, beside feature edits. */
    assert_int_equal(parse(&c, err, "--kernel", "k", "--cpu", "max,kvm=on,-x2apic", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.kvm_pv, CPU_PV_ON);
    assert_string_equal(c.cpu_features, "-x2apic");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-cpu", "EPYC,kvm=off", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.kvm_pv, CPU_PV_OFF);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-cpu", "max,kvm=maybe", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "--cpu", "qemu64", NULL), RUN_ARGS_OK);
    assert_int_equal(c.cpu_model.vendor, CPU_VENDOR_AMD);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-m", "size=1G", "-smp", "cpus=3",
                           "-machine", "pc,accel=tcg", NULL), RUN_ARGS_OK);
    assert_int_equal(c.mem_size, 1024 * MIB);
    assert_int_equal(c.ncpus, 3);
    assert_string_equal(c.accel, "soft");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcg", NULL), RUN_ARGS_OK);
    assert_string_equal(c.accel, "soft");
    assert_int_equal(parse(&c, err, "--kernel", "k", "-M", "accel=kvm", NULL), RUN_ARGS_OK);
    assert_string_equal(c.accel, "kvm");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-machine", "pc,accel=kvm:tcg", NULL), RUN_ARGS_OK);
    assert_string_equal(c.accel, "kvm:soft");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-machine", "accel=tcg:kvm", NULL), RUN_ARGS_OK);
    assert_string_equal(c.accel, "soft:kvm");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-machine", "accel=kvm:xen", NULL), RUN_ARGS_ERROR);
}

/* The soft CPU's code cache: --jit-cache SIZE, QEMU's -accel tcg,tb-size=MiB. */
static void test_jit_cache(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--kernel", "k", NULL), RUN_ARGS_OK);
    assert_int_equal(c.jit_cache, 0);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--jit-cache", "1M", NULL), RUN_ARGS_OK);
    assert_int_equal(c.jit_cache, MIB);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--jit-cache=2G", NULL), RUN_ARGS_OK);
    assert_int_equal(c.jit_cache, 2048 * MIB);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--jit-cache", "100K", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--jit-cache", "lots", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcg,tb-size=64", NULL), RUN_ARGS_OK);
    assert_string_equal(c.accel, "soft");
    assert_int_equal(c.jit_cache, 64 * MIB);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "kvm", NULL), RUN_ARGS_OK);
    assert_string_equal(c.accel, "kvm");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcg,tb-size=0", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcg,tb-size=-1", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcg,tb-size=1x", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcg,thread=multi", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "thread=multi"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-accel", "tcgx", NULL), RUN_ARGS_ERROR);
}

/* -smp's topology, counts derived as QEMU 7.2 derives them. */
/* Operating flags (issue 16): -qmp, -monitor, -name, -pidfile, -daemonize, -serial mon:stdio. */
static void test_monitor_flags(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-kernel", "k", "-qmp", "unix:/tmp/q,server,wait=off", "-monitor",
                           "stdio", "-name", "vm1", "-pidfile", "/tmp/p", "-daemonize", "-serial",
                           "mon:stdio", "-qmp", "tcp:127.0.0.1:4444,server", "-D", "/tmp/log",
                           "-no-reboot", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nqmp, 2);
    assert_string_equal(c.qmp[0], "unix:/tmp/q,server,wait=off");
    assert_string_equal(c.qmp[1], "tcp:127.0.0.1:4444,server");
    assert_string_equal(c.logfile, "/tmp/log");
    assert_true(c.no_reboot);
    assert_string_equal(c.monitor, "stdio");
    assert_string_equal(c.name, "vm1");
    assert_string_equal(c.pidfile, "/tmp/p");
    assert_true(c.daemonize);
    assert_int_equal(parse(&c, err, "-kernel", "k", NULL), RUN_ARGS_OK);
    assert_int_equal(c.nqmp, 0);
    assert_false(c.daemonize);
    assert_false(c.no_reboot);
    assert_null(c.logfile);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-qmp", "a", "-qmp", "b", "-qmp", "c", "-qmp", "d",
                           "-qmp", "e", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-qmp", NULL), RUN_ARGS_ERROR);
}

/* gdb (issue 17): -gdb SPEC, -s (tcp::1234), -S (start paused); neither by default. */
static void test_gdb_flags(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-kernel", "k", NULL), RUN_ARGS_OK);
    assert_null(c.gdb);
    assert_false(c.start_paused);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-s", "-S", NULL), RUN_ARGS_OK);
    assert_string_equal(c.gdb, "tcp::1234");
    assert_true(c.start_paused);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-gdb", "unix:/tmp/g.sock", NULL), RUN_ARGS_OK);
    assert_string_equal(c.gdb, "unix:/tmp/g.sock");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-gdb", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-s=1", NULL), RUN_ARGS_ERROR);
}

static void test_smp(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "4,sockets=2,cores=2", NULL), RUN_ARGS_OK);
    assert_int_equal(c.ncpus, 4);
    assert_int_equal(c.topo.sockets, 2);
    assert_int_equal(c.topo.cores, 2);
    assert_int_equal(c.topo.threads, 1);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "2,sockets=1,cores=2", NULL), RUN_ARGS_OK);
    assert_int_equal(c.topo.cores, 2);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "8,cores=2,threads=2", NULL), RUN_ARGS_OK);
    assert_int_equal(c.topo.sockets, 2);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "sockets=2,cores=3,threads=2", NULL),
                     RUN_ARGS_OK);
    assert_int_equal(c.ncpus, 12);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "6,sockets=3,maxcpus=6,dies=1", NULL),
                     RUN_ARGS_OK);
    assert_int_equal(c.topo.cores, 2);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "3", NULL), RUN_ARGS_OK);
    assert_int_equal(c.topo.sockets, 3);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--smp", "2,threads=2", NULL), RUN_ARGS_OK);
    assert_int_equal(c.topo.threads, 2);
    assert_int_equal(c.topo.sockets, 1);
}

static void test_qemu_refusals(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-kernel", "k", "-vga", "cirrus", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "-vga"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-device", "virtio-net-pci", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "virtio-net-pci"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-device", "isa-debug-exit,iobase=0x501", NULL),
                     RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-machine", "q35", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "q35"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-machine", "pc,accel=hvf", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-m", "1G,maxmem=4G", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "maxmem"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "3,sockets=2", NULL), RUN_ARGS_ERROR);
    assert_string_equal(err, "-smp: sockets (2) * cores (1) * threads (1) != maxcpus (3)");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "2,maxcpus=4", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "hotplug"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "2,dies=2", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "2,books=2", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "65", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-smp", "0", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-cpu", "Skylake", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "EPYC"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-display", "gtk", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-serial", "pty", NULL), RUN_ARGS_ERROR);
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t b;
    assert_int_equal(run_parse_size("512", &b), 0);
    assert_int_equal(b, 512 * MIB);
    assert_int_equal(run_parse_size("1g", &b), 0);
    assert_int_equal(b, 1024 * MIB);
    assert_int_equal(run_parse_size("2048K", &b), 0);
    assert_int_equal(b, 2 * MIB);
    assert_int_equal(run_parse_size("3MiB", &b), 0);
    assert_int_equal(b, 3 * MIB);
    assert_int_equal(run_parse_size("1025K", &b), 0);
    assert_int_equal(b, 1028 * 1024);   /* rounded up to a page */
    assert_int_equal(run_parse_size("0", &b), -EINVAL);
    assert_int_equal(run_parse_size("512K", &b), -EINVAL);
    assert_int_equal(run_parse_size("", &b), -EINVAL);
    assert_int_equal(run_parse_size("1.5G", &b), -EINVAL);
    assert_int_equal(run_parse_size("20000000T", &b), -EINVAL);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
}

static void test_check_config(void **state)
{
    (void)state;
    char dir[] = "/tmp/vmon-args-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char kernel[64], initrd[64], meminfo[64], empty[64];
    snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
    snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
    snprintf(meminfo, sizeof(meminfo), "%s/meminfo", dir);
    snprintf(empty, sizeof(empty), "%s/empty", dir);
    write_file(kernel, "kernel", 6);
    write_file(empty, "", 0);
    static char big[2 * 1024 * 1024];
    write_file(initrd, big, sizeof(big));
    write_file(meminfo, "MemFree: 1 kB\nMemTotal:  1048576 kB\n", 37);

    struct vm_config c = { .kernel = kernel, .mem_size = 512 * MIB };
    char err[256];
    assert_int_equal(run_check_config(&c, meminfo, err, sizeof(err)), 0);
    c.mem_size = 2048 * MIB;           /* more than the fake host's 1 GiB */
    assert_int_equal(run_check_config(&c, meminfo, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "host's memory"));
    c.mem_size = 2 * MIB;              /* the 2 MiB initrd leaves no room */
    c.initrd = initrd;
    assert_int_equal(run_check_config(&c, meminfo, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "do not fit"));
    c.initrd = NULL;
    c.kernel = dir;
    assert_int_equal(run_check_config(&c, meminfo, err, sizeof(err)), -1);
    c.kernel = empty;
    assert_int_equal(run_check_config(&c, meminfo, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty"));
    c.kernel = "/nonexistent/vmlinuz";
    assert_int_equal(run_check_config(&c, meminfo, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    unlink(kernel);
    unlink(initrd);
    unlink(meminfo);
    unlink(empty);
    rmdir(dir);
}

/* --drive and QEMU's -drive: one virtio-blk-pci disk each; anything vmon cannot attach is refused. */
static void test_drives(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--kernel", "k", NULL), RUN_ARGS_OK);
    assert_int_equal(c.ndrives, 0);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--drive", "file=a.qcow2,format=qcow2,if=virtio",
                           "-drive", "file=/x/b.img,if=virtio,format=raw,readonly=on,id=d1", NULL),
                     RUN_ARGS_OK);
    assert_int_equal(c.ndrives, 2);
    assert_string_equal(c.drives[0].file, "a.qcow2");
    assert_string_equal(c.drives[0].format, "qcow2");
    assert_false(c.drives[0].readonly);
    assert_string_equal(c.drives[1].file, "/x/b.img");
    assert_string_equal(c.drives[1].format, "raw");
    assert_true(c.drives[1].readonly);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio", NULL), RUN_ARGS_OK);
    assert_string_equal(c.drives[0].format, "");
    assert_false(c.drives[0].no_ioeventfd);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,ioeventfd=off", NULL), RUN_ARGS_OK);
    assert_true(c.drives[0].no_ioeventfd);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,ioeventfd=x", NULL), RUN_ARGS_ERROR);
    /* QEMU's default interface is IDE; other interfaces and formats are refused by name. */
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,format=raw", NULL), RUN_ARGS_OK);
    assert_true(c.ide[0].attached && !c.ide[0].cdrom && c.ndrives == 0);
    assert_string_equal(c.ide[0].format, "raw");
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=scsi", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "if=scsi"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,format=vmdk", NULL),
                     RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "if=virtio", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,readonly=maybe", NULL),
                     RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,cache=none", NULL),
                     RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "cache=none"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio", "-drive", "file=b,if=virtio",
                           "-drive", "file=c,if=virtio", "-drive", "file=d,if=virtio",
                           "-drive", "file=e,if=virtio", NULL), RUN_ARGS_ERROR);
}

/* QEMU's -drive if=none + -device virtio-blk-pci,drive=ID (in either order), -snapshot, the
 * drive options of issue 13, and the refusals: IDE (-hda, no if=), other machine types, a
 * -device without its drive. */
static void test_drive_devices(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "-kernel", "k", "-device", "virtio-blk-pci,drive=d0,num-queues=2,id=v0",
                           "-drive", "file=a.qcow2,format=qcow2,if=none,id=d0", "-drive",
                           "file=b.raw,format=raw,if=none,id=unused", "-snapshot", "-machine", "pc", NULL),
                     RUN_ARGS_OK);
    assert_int_equal(c.ndrives, 2);
    assert_true(c.drives[0].attached);
    assert_int_equal(c.drives[0].num_queues, 2);
    assert_true(c.drives[0].snapshot);
    assert_false(c.drives[1].attached);
    assert_false(c.drives[0].mmio);
    /* QEMU's virtio-mmio disk: -device virtio-blk-device,drive=ID is if=virtio-mmio; the device's
     * measuring keys reach the drive. */
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a.raw,format=raw,if=none,id=m0",
                           "-device", "virtio-blk-device,drive=m0,ioeventfd=off", "-drive",
                           "file=b.raw,format=raw,if=none,id=p0", "-device",
                           "virtio-blk-pci,drive=p0,irqfd=off", NULL), RUN_ARGS_OK);
    assert_true(c.drives[0].attached && c.drives[0].mmio && c.drives[0].no_ioeventfd);
    assert_true(c.drives[1].attached && !c.drives[1].mmio && c.drives[1].no_irqfd);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-device", "virtio-blk-device,drive=nope", NULL),
                     RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "-device virtio-blk-device,drive=nope: no -drive with id=nope"));
    assert_int_equal(parse(&c, err, "--kernel", "k", "--drive",
                           "file=a,format=raw,if=virtio,snapshot=on,discard=unmap,num-queues=4,packed=on",
                           NULL), RUN_ARGS_OK);
    assert_true(c.drives[0].attached && c.drives[0].snapshot && c.drives[0].discard && c.drives[0].packed);
    assert_int_equal(c.drives[0].num_queues, 4);
    assert_int_equal(parse(&c, err, "--kernel", "k", "--drive", "file=a,if=virtio,discard=ignore", NULL),
                     RUN_ARGS_OK);
    assert_false(c.drives[0].discard);
    assert_false(c.drives[0].snapshot);
    /* Refusals, each with one line naming the problem. */
    assert_int_equal(parse(&c, err, "-kernel", "k", "-machine", "q35", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "q35"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-M", "type=microvm", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "machine type 'microvm'"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-device", "virtio-blk-pci,drive=nope", NULL),
                     RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "no -drive with id=nope"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-device", "virtio-blk-pci", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,id=x", "-device",
                           "virtio-blk-pci,drive=x", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "already attached"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=none", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,num-queues=0", NULL),
                     RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=virtio,num-queues=5", NULL),
                     RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=none,id=x", "-device",
                           "virtio-blk-pci,drive=x,scsi=on", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "scsi=on"));
    assert_int_equal(parse(&c, err, "-kernel", "k", "-drive", "file=a,if=none,id=x", "-drive",
                           "file=b,if=none,id=x", NULL), RUN_ARGS_ERROR);
}

/* IDE drives in QEMU's spellings (tools/run-ide.c): -hda..-hdd, -cdrom at index 2, -drive if=ide
 * with index= and media=, a bare image as the first free disk, -boot; and their refusals. */
static void test_ide(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "disk.qcow2", "-cdrom", "x.iso", "-hdd", "d.img", "-boot", "d", NULL),
                     RUN_ARGS_OK);
    assert_true(c.ide[0].attached && !c.ide[0].cdrom);
    assert_string_equal(c.ide[0].file, "disk.qcow2");
    assert_string_equal(c.ide[0].format, "");         /* probed */
    assert_true(c.ide[2].attached && c.ide[2].cdrom);
    assert_string_equal(c.ide[2].file, "x.iso");
    assert_true(c.ide[3].attached && !c.ide[1].attached);
    assert_string_equal(c.boot_order, "d");
    assert_int_equal(parse(&c, err, "-drive", "if=ide,index=1,media=cdrom", "-boot", "order=dc,menu=on",
                           "-drive", "file=a,format=qcow2", "-snapshot", NULL), RUN_ARGS_OK);
    assert_true(c.ide[1].attached && c.ide[1].cdrom && !c.ide[1].file[0]);   /* no disc */
    assert_true(c.ide[0].attached && c.ide[0].snapshot && !c.ide[1].snapshot);
    assert_string_equal(c.boot_order, "dc");
    assert_int_equal(parse(&c, err, "-hdc", "a", "-cdrom", "b", NULL), RUN_ARGS_ERROR);
    assert_non_null(strstr(err, "index 2 is already in use"));
    assert_int_equal(parse(&c, err, "-drive", "file=a,if=ide,media=floppy", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-drive", "file=a,if=ide,index=4", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-drive", "if=ide", NULL), RUN_ARGS_ERROR);    /* a disk needs a file */
    assert_int_equal(parse(&c, err, "-drive", "file=a,if=virtio,index=1", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-hda", "", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-boot", "z", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-boot", "order=cc", NULL), RUN_ARGS_ERROR);
    assert_int_equal(parse(&c, err, "-boot", "order=c,foo=1", NULL), RUN_ARGS_ERROR);
}

/* -incoming URI (a live migration's destination, issue 18), in both spellings. */
static void test_incoming(void **state)
{
    (void)state;
    struct vm_config c;
    char err[256];
    assert_int_equal(parse(&c, err, "--mem", "64M", "-incoming", "tcp:127.0.0.1:4444", NULL), RUN_ARGS_OK);
    assert_string_equal(c.incoming, "tcp:127.0.0.1:4444");
    assert_int_equal(parse(&c, err, "--incoming", "exec:cat /tmp/s", NULL), RUN_ARGS_OK);
    assert_string_equal(c.incoming, "exec:cat /tmp/s");
    assert_int_equal(parse(&c, err, "-incoming", NULL), RUN_ARGS_ERROR);   /* needs its URI */
    assert_int_equal(parse(&c, err, NULL), RUN_ARGS_OK);
    assert_null(c.incoming);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_native_options),
        cmocka_unit_test(test_monitor_flags),  cmocka_unit_test(test_jit_cache),
        cmocka_unit_test(test_help_version),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_drives),         cmocka_unit_test(test_drive_devices),
        cmocka_unit_test(test_qemu_spellings), cmocka_unit_test(test_qemu_refusals), cmocka_unit_test(test_ide),
        cmocka_unit_test(test_smp),            cmocka_unit_test(test_gdb_flags),
        cmocka_unit_test(test_sizes),          cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_incoming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
