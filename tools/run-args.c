/* vmon run's options. One table serves both spellings: vmon's (--kernel, --mem, --cpus...) and
 * qemu-system-x86_64's for a direct kernel boot (-kernel, -m, -smp, -machine ...), so an existing
 * QEMU command line runs unchanged. A QEMU option vmon does not implement is refused by name, never
 * ignored. Either spelling takes one or two dashes, as QEMU does. */
#include "tools/run-args.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/cpu-model.h"
#include "tools/run-kv.h"
#include "tools/run-vdev-args.h"
#include "tools/run-net.h"

#define MIB ((uint64_t)1024 * 1024)

enum opt_id {
    OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_MEM, OPT_CPUS, OPT_ACCEL, OPT_CPU_FEATURES,
    OPT_EXIT_STATS, OPT_TRACE, OPT_JIT, OPT_JIT_CACHE, OPT_HELP, OPT_VERSION, OPT_DRIVE, Q_SNAPSHOT, Q_HDX, OPT_NET, Q_NETDEV, Q_NIC,
    Q_M, Q_SMP, Q_CPU, Q_ENABLE_KVM, Q_MACHINE, Q_NOGRAPHIC, Q_VGA, Q_DISPLAY, Q_SERIAL, Q_NODEFAULTS,
    Q_NO_REBOOT, Q_DEVICE, Q_QMP, Q_MONITOR, Q_NAME, Q_PIDFILE, Q_DAEMONIZE, Q_LOGFILE,
    Q_CHARDEV, OPT_RNG, OPT_VSOCK, OPT_CONSOLE,
    Q_GDB, Q_GDB_DEFAULT, Q_START_PAUSED, Q_BIOS, Q_BOOT, OPT_RESTORE, Q_INCOMING, Q_LOADVM,
};

static const struct opt {
    const char *name;
    enum opt_id id;
    bool has_arg;
} opts[] = {
    { "kernel", OPT_KERNEL, true },      { "initrd", OPT_INITRD, true },
    { "append", OPT_APPEND, true },      { "mem", OPT_MEM, true },
    { "cpus", OPT_CPUS, true },          { "accel", OPT_ACCEL, true },
    { "cpu-features", OPT_CPU_FEATURES, true }, { "exit-stats", OPT_EXIT_STATS, false },
    { "trace", OPT_TRACE, true },        { "jit", OPT_JIT, true },
    { "jit-cache", OPT_JIT_CACHE, true },
    { "help", OPT_HELP, false },         { "drive", OPT_DRIVE, true },
    { "h", OPT_HELP, false },            { "version", OPT_VERSION, false },
    { "m", Q_M, true },                  { "smp", Q_SMP, true },
    { "cpu", Q_CPU, true },              { "enable-kvm", Q_ENABLE_KVM, false },
    { "machine", Q_MACHINE, true },      { "M", Q_MACHINE, true },
    { "nographic", Q_NOGRAPHIC, false }, { "vga", Q_VGA, true }, { "display", Q_DISPLAY, true },
    { "serial", Q_SERIAL, true },        { "nodefaults", Q_NODEFAULTS, false },
    { "no-reboot", Q_NO_REBOOT, false }, { "device", Q_DEVICE, true },
    { "qmp", Q_QMP, true },              { "monitor", Q_MONITOR, true },
    { "name", Q_NAME, true },            { "pidfile", Q_PIDFILE, true },
    { "daemonize", Q_DAEMONIZE, false }, { "D", Q_LOGFILE, true },
    { "snapshot", Q_SNAPSHOT, false },   { "hda", Q_HDX, true },
    { "hdb", Q_HDX, true },              { "hdc", Q_HDX, true },
    { "hdd", Q_HDX, true },              { "cdrom", Q_HDX, true },
    { "chardev", Q_CHARDEV, true },      { "rng", OPT_RNG, true },
    { "vsock", OPT_VSOCK, true },        { "virtconsole", OPT_CONSOLE, true },
    { "net", OPT_NET, true },            { "netdev", Q_NETDEV, true },
    { "nic", Q_NIC, true },
    { "gdb", Q_GDB, true },              { "s", Q_GDB_DEFAULT, false },
    { "S", Q_START_PAUSED, false },      { "bios", Q_BIOS, true },
    { "boot", Q_BOOT, true },
    { "restore", OPT_RESTORE, true },   { "incoming", Q_INCOMING, true },   { "loadvm", Q_LOADVM, true },
};

void run_usage(FILE *f)
{
    fprintf(f,
        "usage: vmon run [--kernel FILE] [options] [DISK-IMAGE]\n"
        "       vmon [-kernel FILE] [qemu-system-x86_64 options] [DISK-IMAGE]\n"
        "\n"
        "  --kernel FILE          bzImage, ELF vmlinux (PVH or not) or multiboot kernel; without\n"
        "                         one the firmware boots (SeaBIOS, " "/usr/share/seabios/bios-256k.bin)\n"
        "  --bios FILE, -bios     another firmware image (ROM ending at 4 GiB)\n"
        "  --initrd FILE          initial ramdisk\n"
        "  --append CMDLINE       kernel command line\n"
        "  --mem SIZE             guest RAM: MiB, or with K/M/G/T (default 512M)\n"
        "  --cpus N               vCPUs, 1-%d (default 1), one socket each\n"
        "  --smp N[,sockets=S,cores=C,threads=T,maxcpus=N]  vCPUs and the topology the guest sees\n"
        "  --accel kvm|soft|auto  auto: kvm when /dev/kvm opens and the CPU has vmx/svm\n"
        "  --cpu MODEL[,+f,-f]    max (default), host, qemu64, Skylake-Client, EPYC; intel, amd;\n"
        "                         kvm=on|off: KVM's paravirtual CPUID, kvmclock, hypercall\n"
        "  --cpu-features LIST    CPUID edits, e.g. -cx16,-xsave,+x2apic\n"
        "  --exit-stats           print VM exits by reason and by port/MMIO address on exit\n"
        "  --trace FILE           instruction trace (software CPU)\n"
        "  --jit on|off           software CPU: translate hot blocks to host code (default on)\n"
        "  --jit-cache SIZE       software CPU: its code cache, all vCPUs (QEMU: -accel tcg,tb-size=MiB;\n"
        "                         default 1G or an eighth of host RAM); flushed when full\n"
        "  --drive file=PATH,format=raw|qcow2,if=virtio[,readonly=on][,snapshot=on]\n"
        "          [,discard=unmap][,num-queues=N][,packed=on][,ioeventfd=off]  a virtio-blk-pci disk\n"
        "                         (if=virtio-mmio: a virtio-mmio disk the ACPI DSDT lists)\n"
        "  --rng on|max-bytes=N[,period=MS]  a virtio-rng-pci fed by getrandom, optionally rate-limited\n"
        "  --chardev socket,id=ID,path=PATH[,server=on,wait=off] | stdio,id=ID | file,id=ID,path=PATH\n"
        "  --virtconsole chardev=ID[,name=NAME]  a virtio-serial-pci console port (guest hvc0)\n"
        "  --vsock cid=N[,uds=PATH]  virtio-vsock; the host reaches the guest over the Unix socket PATH\n"
        "  --net user[,hostfwd=tcp::HOSTPORT-:GUESTPORT][,restrict=on][,ipv6=off][,mac=..]  a virtio-net-pci NIC\n"
        "  --net tap,ifname=NAME[,queues=N][,mac=..]    the same on a tap (created when absent)\n"
        "  --restore FILE         start from a state file saved by x-vmon-save-state / save_state\n"
        "  -incoming URI          start from a live migration: tcp:HOST:PORT, exec:CMD or file:PATH\n"
        "                         (same --cpu, --mem and --cpus; RAM is mapped from FILE on demand)\n"
        "  -loadvm TAG            start from the snapshot TAG of the qcow2 disks (HMP savevm TAG)\n"
        "  --help, --version\n"
        "\n"
        "QEMU spellings: -kernel -initrd -append -m -smp -cpu MODEL[,+f,-f] -accel kvm|tcg -drive\n"
        "  -enable-kvm -machine pc[,accel=kvm|tcg|kvm:tcg] -nographic -vga std|none -display none\n"
        "  -serial stdio (firmware boots: a VGA whose text is mirrored here, or with -nographic\n"
        "  SeaBIOS's serial console)\n"
        "  -nodefaults -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -snapshot\n"
        "  -drive file=..,format=..,if=none,id=ID -device virtio-blk-pci,drive=ID[,num-queues=N]\n"
        "  -hda/-hdb/-hdc/-hdd FILE -cdrom FILE -drive file=..,if=ide[,index=N][,media=cdrom]\n"
        "                         PIIX3 IDE disks and CD-ROM (a bare DISK-IMAGE is -hda; a -drive\n"
        "                         without if= is IDE, as in QEMU); -boot c|d|order=DRIVES\n"
        "  -qmp unix:PATH,server[,wait=off] | tcp:HOST:PORT,server[,wait=off]   QMP (JSON) monitor\n"
        "  -monitor unix:PATH,server[,wait=off] | tcp:HOST:PORT,server[,wait=off] human monitor\n"
        "  -name NAME -pidfile FILE -daemonize (detach once the VM is set up) -D LOGFILE\n"
        "  -device virtio-rng-pci[,max-bytes=N,period=MS] -device virtio-serial-pci\n"
        "  -device virtconsole|virtserialport,chardev=ID[,name=NAME] -chardev socket|stdio|file,...\n"
        "  -device vhost-vsock-pci,guest-cid=N[,uds=PATH]\n"
        "  -netdev user|tap,id=ID,... -device virtio-net-pci,netdev=ID[,mac=..] -nic user|tap,...\n"
        "  -gdb tcp:[HOST]:PORT | unix:PATH   gdb remote-protocol server; -s: -gdb tcp::1234\n"
        "  -S                     start with the vCPUs stopped (gdb's continue or the monitor's cont)\n"
        "The console is COM1 on stdin/stdout; Ctrl-A x quits, Ctrl-A c the monitor. A reset reboots\n"
        "(-no-reboot: it ends vmon). Exit status: 0 on poweroff (or reset with -no-reboot),\n"
        "(V<<1)|1 when the guest writes V to isa-debug-exit, 1 on a guest crash, 2 on bad input.\n",
        VM_MAX_CPUS);
}

int run_parse_size(const char *s, uint64_t *bytes)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return -EINVAL;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s)
        return -EINVAL;
    uint64_t unit = MIB;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': unit = 1024; break;
        case 'm': case 'M': unit = MIB; break;
        case 'g': case 'G': unit = 1024 * MIB; break;
        case 't': case 'T': unit = 1024 * 1024 * MIB; break;
        default: return -EINVAL;
        }
        end++;
        if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))
            end += strlen(end);
        if (*end)
            return -EINVAL;
    }
    if (n == 0 || n > UINT64_MAX / unit)
        return -EINVAL;
    uint64_t b = n * unit;
    if (b < MIB || b > UINT64_MAX - 4095)
        return -EINVAL;
    *bytes = (b + 4095) & ~4095ull;
    return 0;
}

static int parse_cpus(const char *s, int *n)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > VM_MAX_CPUS)
        return -EINVAL;
    *n = (int)v;
    return 0;
}

/* QEMU's tb-size=N of -accel tcg: the translation cache in MiB. */
static int accel_tb_size(const char *v, struct vm_config *cfg)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || n == 0 || n > (1ull << 20))
        return -1;
    cfg->jit_cache = n * MIB;
    return 0;
}

/* kvm|soft|auto|tcg[,tb-size=N] */
static int parse_accel(const char *v, struct vm_config *cfg, char *err, size_t errlen, const char *opt)
{
    static const char *const names[] = { "kvm", "soft", "auto" };
    size_t len = strcspn(v, ",");
    const char *name = NULL;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (strlen(names[k]) == len && !strncmp(v, names[k], len))
            name = names[k];
    if (len == 3 && !strncmp(v, "tcg", 3))
        name = "soft";   /* QEMU's software CPU is TCG; ours is accel/soft */
    if (!name) {
        snprintf(err, errlen, "%s %s: unknown accelerator (kvm, soft, auto or tcg)", opt, v);
        return -1;
    }
    cfg->accel = name;
    for (const char *p = v + len; *p; ) {
        p++;
        size_t n = strcspn(p, ",");
        char o[64];
        snprintf(o, sizeof(o), "%.*s", (int)(n < 63 ? n : 63), p);
        if (strncmp(o, "tb-size=", 8) || accel_tb_size(o + 8, cfg) < 0) {
            snprintf(err, errlen, "%s %s: unsupported option '%s' (tb-size=MiB)", opt, v, o);
            return -1;
        }
        p += n;
    }
    return 0;
}

static int q_mem(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    const char *p = v;
    struct kv kv;
    char size[64] = "";
    while (next_kv(&p, &kv)) {
        if (!kv.val && !size[0])
            snprintf(size, sizeof(size), "%s", kv.key);
        else if (kv.val && !strcmp(kv.key, "size"))
            snprintf(size, sizeof(size), "%.*s", (int)kv.val_len, kv.val);
        else {
            snprintf(err, errlen, "-m: unsupported option '%s'", kv.key);
            return -1;
        }
    }
    if (run_parse_size(size, &cfg->mem_size) < 0) {
        snprintf(err, errlen, "-m %s: not a memory size of at least 1M", v);
        return -1;
    }
    return 0;
}

static int smp_number(const struct kv *kv, unsigned *out, char *err, size_t errlen)
{
    char num[32];
    if (kv->val)
        snprintf(num, sizeof(num), "%.*s", (int)kv->val_len, kv->val);
    else
        snprintf(num, sizeof(num), "%s", kv->key);
    char *end;
    errno = 0;
    unsigned long v = strtoul(num, &end, 10);
    if (errno || end == num || *end || v < 1 || v > 255) {
        snprintf(err, errlen, "-smp: %s%s%s is not a count from 1 to 255", kv->val ? kv->key : "",
                 kv->val ? "=" : "", num);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* QEMU 7.2's hw/core/machine-smp.c: the counts not given are derived, sockets first (the pc machine
 * prefers sockets), from maxcpus (default: the CPU count) or from the other levels. */
static int smp_complete(unsigned cpus, unsigned maxcpus, struct cpu_topology *t, char *err, size_t errlen)
{
    unsigned dflt = maxcpus ? maxcpus : cpus;
    if (!cpus || !t->sockets) {
        t->cores = t->cores ? t->cores : 1;
        t->threads = t->threads ? t->threads : 1;
        if (!cpus)
            t->sockets = t->sockets ? t->sockets : 1;
        else
            t->sockets = dflt / (t->cores * t->threads);
    } else if (!t->cores) {
        t->threads = t->threads ? t->threads : 1;
        t->cores = dflt / (t->sockets * t->threads);
    } else if (!t->threads) {
        t->threads = dflt / (t->sockets * t->cores);
    }
    unsigned product = t->sockets * t->cores * t->threads;
    maxcpus = maxcpus ? maxcpus : cpus ? cpus : product;
    cpus = cpus ? cpus : maxcpus;
    if (!t->sockets || !t->cores || !t->threads || product != maxcpus) {
        snprintf(err, errlen, "-smp: sockets (%u) * cores (%u) * threads (%u) != maxcpus (%u)",
                 t->sockets, t->cores, t->threads, maxcpus);
        return -1;
    }
    if (maxcpus != cpus) {
        snprintf(err, errlen, "-smp: maxcpus (%u) above the CPU count (%u): vmon has no CPU hotplug",
                 maxcpus, cpus);
        return -1;
    }
    if (cpus > VM_MAX_CPUS) {
        snprintf(err, errlen, "-smp: %u CPUs, at most %d", cpus, VM_MAX_CPUS);
        return -1;
    }
    return (int)cpus;
}

/* -smp [cpus=]N[,sockets=S][,dies=1][,cores=C][,threads=T][,maxcpus=M] */
static int q_smp(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    const char *p = v;
    struct kv kv;
    unsigned cpus = 0, maxcpus = 0, dies = 1;
    struct cpu_topology t = { 0, 0, 0 };
    for (bool first = true; next_kv(&p, &kv); first = false) {
        unsigned *slot = !kv.val && first ? &cpus
                       : !kv.val ? NULL
                       : !strcmp(kv.key, "cpus") ? &cpus
                       : !strcmp(kv.key, "sockets") ? &t.sockets
                       : !strcmp(kv.key, "cores") ? &t.cores
                       : !strcmp(kv.key, "threads") ? &t.threads
                       : !strcmp(kv.key, "maxcpus") ? &maxcpus
                       : !strcmp(kv.key, "dies") ? &dies : NULL;
        if (!slot) {
            snprintf(err, errlen, "-smp: unsupported option '%s'", kv.key);
            return -1;
        }
        if (smp_number(&kv, slot, err, errlen) < 0)
            return -1;
    }
    if (dies != 1) {
        snprintf(err, errlen, "-smp: dies=%u: vmon's CPUs have one die per socket", dies);
        return -1;
    }
    int n = smp_complete(cpus, maxcpus, &t, err, errlen);
    if (n < 0)
        return -1;
    cfg->ncpus = n;
    cfg->topo = t;
    return 0;
}

/* -cpu MODEL[,+feat|-feat|feat=on|feat=off...][,kvm=on|off]: the model (accel/cpu-model.h), the
 * features become a --cpu-features list; kvm= offers or hides KVM's paravirtual interface. */
static int q_cpu(const char *v, struct vm_config *cfg, char *buf, size_t buflen, char *err, size_t errlen)
{
    const char *p = v;
    struct kv kv;
    next_kv(&p, &kv);
    if (cpu_model_lookup(kv.key, strlen(kv.key), &cfg->cpu_model) < 0) {
        snprintf(err, errlen, "-cpu %s: unsupported CPU model (" CPU_MODEL_NAMES ")", kv.key);
        return -1;
    }
    size_t n = 0;
    buf[0] = 0;
    while (next_kv(&p, &kv)) {
        char sign;
        const char *name = kv.key;
        if (!strcmp(kv.key, "kvm") && (kv_is(&kv, "on") || kv_is(&kv, "off"))) {
            cfg->cpu_model.kvm_pv = kv_is(&kv, "on") ? CPU_PV_ON : CPU_PV_OFF;
            continue;
        }
        if (!kv.val && (kv.key[0] == '+' || kv.key[0] == '-')) {
            sign = kv.key[0];
            name++;
        } else if (kv_is(&kv, "on") || kv_is(&kv, "off")) {
            sign = kv_is(&kv, "on") ? '+' : '-';
        } else {
            snprintf(err, errlen, "-cpu: unsupported option '%s'", kv.key);
            return -1;
        }
        int w = snprintf(buf + n, buflen - n, "%s%c%s", n ? "," : "", sign, name);
        if (w < 0 || (size_t)w >= buflen - n) {
            snprintf(err, errlen, "-cpu: too many features");
            return -1;
        }
        n += (size_t)w;
    }
    cfg->cpu_features = n ? buf : NULL;
    return 0;
}

static int q_machine(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    const char *p = v;
    struct kv kv;
    while (next_kv(&p, &kv)) {
        if (!kv.val && (!strcmp(kv.key, "pc") || !strcmp(kv.key, "type")))
            continue;
        if (kv.val && !strcmp(kv.key, "type") && kv_is(&kv, "pc"))
            continue;
        if (kv.val && !strcmp(kv.key, "type")) {
            snprintf(err, errlen, "-machine: unsupported machine type '%.*s' (vmon's machine is pc)",
                     (int)kv.val_len, kv.val);
            return -1;
        }
        if (kv.val && !strcmp(kv.key, "accel")) {
            /* QEMU's list: the first accelerator that works (accel/accel.c). */
            static const struct { const char *qemu, *vmon; } lists[] = {
                { "kvm", "kvm" }, { "tcg", "soft" }, { "kvm:tcg", "kvm:soft" }, { "tcg:kvm", "soft:kvm" },
            };
            char a[16];
            snprintf(a, sizeof(a), "%.*s", (int)kv.val_len, kv.val);
            size_t k = 0;
            while (k < sizeof(lists) / sizeof(lists[0]) && strcmp(a, lists[k].qemu))
                k++;
            if (k < sizeof(lists) / sizeof(lists[0])) {
                cfg->accel = lists[k].vmon;
                continue;
            }
            snprintf(err, errlen, "-machine accel=%s: unsupported accelerator (kvm, tcg or a list such as "
                     "kvm:tcg)", a);
            return -1;
        }
        snprintf(err, errlen, "-machine: unsupported %s '%s' (vmon's machine is pc)",
                 kv.val ? "option" : "machine type", kv.key);
        return -1;
    }
    return 0;
}

/* isa-debug-exit, only where vmon always has it (0xf4, 4 ports); virtio-blk-pci and
 * virtio-blk-device (run-drive.c);
 * virtio-net-pci (run-net.c); virtio-rng/serial/vsock (run-vdev-args.c). */
static int q_device(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    int vd = run_vdev_device(v, cfg, err, errlen);
    if (vd != 0)
        return vd < 0 ? -1 : 0;
    const char *p = v;
    struct kv kv;
    next_kv(&p, &kv);
    if (!strcmp(kv.key, "virtio-blk-pci") || !strcmp(kv.key, "virtio-blk-device"))
        return run_device_virtio_blk(p, !strcmp(kv.key, "virtio-blk-device"), cfg, err, errlen);
    if (!strcmp(kv.key, "virtio-net-pci"))
        return run_parse_net_device(v, cfg, err, errlen);
    if (strcmp(kv.key, "isa-debug-exit")) {
        snprintf(err, errlen, "-device %s: unsupported device", kv.key);
        return -1;
    }
    while (next_kv(&p, &kv)) {
        char val[32];
        snprintf(val, sizeof(val), "%.*s", (int)kv.val_len, kv.val ? kv.val : "");
        unsigned long n = strtoul(val, NULL, 0);
        if ((!strcmp(kv.key, "iobase") && n == 0xf4) || (!strcmp(kv.key, "iosize") && n == 4))
            continue;
        snprintf(err, errlen, "-device isa-debug-exit: unsupported %s=%s (vmon's is iobase=0xf4,iosize=0x04)",
                 kv.key, val);
        return -1;
    }
    return 0;
}

int run_parse_args(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
    /* -cpu's feature list needs storage that outlives this call; one per process suffices. */
    static char cpu_features[512];
    memset(cfg, 0, sizeof(*cfg));
    cfg->mem_size = 512 * MIB;
    cfg->ncpus = 1;
    cfg->accel = "auto";
    cpu_model_default(CPU_VENDOR_INTEL, &cfg->cpu_model);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {    /* a bare image: the first IDE disk, as QEMU's */
            if (run_ide_hdx("image", a, cfg, err, errlen) < 0)
                return RUN_ARGS_ERROR;
            continue;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *inline_val = strchr(name, '=');
        size_t nlen = inline_val ? (size_t)(inline_val - name) : strlen(name);
        const struct opt *o = NULL;
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
            if (strlen(opts[k].name) == nlen && !strncmp(opts[k].name, name, nlen))
                o = &opts[k];
        if (!o) {
            snprintf(err, errlen, "unsupported option '%.*s' (try --help)", (int)(name - a + nlen), a);
            return RUN_ARGS_ERROR;
        }
        const char *v = NULL;
        if (o->has_arg) {
            if (inline_val)
                v = inline_val + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else {
                snprintf(err, errlen, "option '%s' needs a value", a);
                return RUN_ARGS_ERROR;
            }
        } else if (inline_val) {
            snprintf(err, errlen, "option '%.*s' takes no value", (int)(name - a + nlen), a);
            return RUN_ARGS_ERROR;
        }
        int r = 0;
        switch (o->id) {
        case OPT_KERNEL: cfg->kernel = v; break;
        case OPT_INITRD: cfg->initrd = v; break;
        case OPT_APPEND: cfg->cmdline = v; break;
        case OPT_MEM:
            if (run_parse_size(v, &cfg->mem_size) < 0) {
                snprintf(err, errlen, "--mem %s: not a memory size of at least 1M (e.g. 512M, 2G)", v);
                r = -1;
            }
            break;
        case OPT_CPUS:
            if (parse_cpus(v, &cfg->ncpus) < 0) {
                snprintf(err, errlen, "--cpus %s: not a CPU count from 1 to %d", v, VM_MAX_CPUS);
                r = -1;
            }
            cfg->topo = (struct cpu_topology){ 0, 0, 0 };
            break;
        case OPT_ACCEL: r = parse_accel(v, cfg, err, errlen, a); break;
        case OPT_CPU_FEATURES: cfg->cpu_features = v; break;
        case OPT_EXIT_STATS: cfg->exit_stats = true; break;
        case OPT_TRACE: cfg->trace = v; break;
        case OPT_JIT_CACHE:
            if (run_parse_size(v, &cfg->jit_cache) < 0) {
                snprintf(err, errlen, "--jit-cache %s: not a size of at least 1M (e.g. 1M, 256M, 1G)", v);
                r = -1;
            }
            break;
        case OPT_JIT:
            if (strcmp(v, "on") && strcmp(v, "off")) {
                snprintf(err, errlen, "--jit %s: expected on or off", v);
                r = -1;
            }
            cfg->no_jit = !strcmp(v, "off");
            break;
        case OPT_HELP: return RUN_ARGS_HELP;
        case OPT_VERSION: return RUN_ARGS_VERSION;
        case OPT_DRIVE: r = run_parse_drive(v, cfg, err, errlen); break;
        case Q_SNAPSHOT: cfg->snapshot = true; break;
        case Q_HDX: r = run_ide_hdx(o->name, v, cfg, err, errlen); break;
        case Q_BOOT: r = run_parse_boot(v, cfg, err, errlen); break;
        case Q_M: r = q_mem(v, cfg, err, errlen); break;
        case Q_SMP: r = q_smp(v, cfg, err, errlen); break;
        case Q_CPU: r = q_cpu(v, cfg, cpu_features, sizeof(cpu_features), err, errlen); break;
        case Q_ENABLE_KVM: cfg->accel = "kvm"; break;
        case Q_MACHINE: r = q_machine(v, cfg, err, errlen); break;
        case Q_NOGRAPHIC: cfg->nographic = true; break;   /* the firmware prints on COM1 itself */
        case Q_NODEFAULTS: break;   /* vmon has no default NIC */
        case Q_VGA:
            if (!strcmp(v, "none"))
                cfg->no_vga = true;
            else if (strcmp(v, "std")) {
                snprintf(err, errlen, "-vga %s: unsupported (std or none)", v);
                r = -1;
            }
            break;
        case Q_NO_REBOOT: cfg->no_reboot = true; break;   /* a reset ends vmon (status 0) */
        case Q_DISPLAY:
            if (strcmp(v, "none")) {
                snprintf(err, errlen, "-display %s: unsupported (only 'none')", v);
                r = -1;
            }
            break;
        case Q_SERIAL:
            if (strcmp(v, "stdio") && strcmp(v, "mon:stdio")) {
                snprintf(err, errlen, "-serial %s: unsupported (only 'stdio')", v);
                r = -1;
            }
            break;
        case Q_DEVICE: r = q_device(v, cfg, err, errlen); break;
        case Q_CHARDEV: r = run_vdev_chardev(v, cfg, err, errlen); break;
        case OPT_RNG: r = run_vdev_rng(v, cfg, err, errlen); break;
        case OPT_VSOCK: r = run_vdev_vsock(v, cfg, err, errlen); break;
        case OPT_CONSOLE: r = run_vdev_console(v, cfg, err, errlen); break;
        case OPT_NET: r = run_parse_net(RUN_NET, v, cfg, err, errlen); break;
        case Q_NETDEV: r = run_parse_net(RUN_NETDEV, v, cfg, err, errlen); break;
        case Q_NIC: r = run_parse_net(RUN_NIC, v, cfg, err, errlen); break;
        case Q_QMP:
            if (cfg->nqmp == VM_MAX_QMP) {
                snprintf(err, errlen, "-qmp %s: at most %d QMP sockets", v, VM_MAX_QMP);
                r = -1;
            } else {
                cfg->qmp[cfg->nqmp++] = v;
            }
            break;
        case Q_LOGFILE: cfg->logfile = v; break;
        case Q_MONITOR: cfg->monitor = v; break;
        case Q_NAME: cfg->name = v; break;
        case Q_PIDFILE: cfg->pidfile = v; break;
        case Q_DAEMONIZE: cfg->daemonize = true; break;
        case Q_GDB: cfg->gdb = v; break;
        case Q_GDB_DEFAULT: cfg->gdb = "tcp::1234"; break;
        case Q_START_PAUSED: cfg->start_paused = true; break;
        case Q_BIOS: cfg->bios = v; break;
        case OPT_RESTORE: cfg->restore = v; break;
        case Q_INCOMING: cfg->incoming = v; break;
        case Q_LOADVM: cfg->loadvm = v; break;
        }
        if (r < 0)
            return RUN_ARGS_ERROR;
    }
    if (run_drives_finish(cfg, err, errlen) < 0 || run_vdev_check(cfg, err, errlen) < 0)
        return RUN_ARGS_ERROR;
    if (!cfg->kernel && (cfg->initrd || cfg->cmdline)) {
        snprintf(err, errlen, "--initrd and --append need a kernel (--kernel FILE)");
        return RUN_ARGS_ERROR;
    }
    if (run_check_nets(cfg, err, errlen) < 0)
        return RUN_ARGS_ERROR;
    if (cfg->cpu_features) {
        struct cpuid_edit edits[CPUID_MAX_EDITS];
        char why[128];
        if (cpuid_parse_features(cfg->cpu_features, edits, CPUID_MAX_EDITS, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "--cpu-features %s: %s", cfg->cpu_features, why);
            return RUN_ARGS_ERROR;
        }
    }
    return RUN_ARGS_OK;
}

static int check_file(const char *what, const char *path, uint64_t *size, char *err, size_t errlen)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO must not hold the open until a writer comes; fstat refuses it below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    int r = fstat(fd, &st);
    close(fd);
    if (r < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s: not a regular file", what, path);
        return -1;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s %s: empty file", what, path);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

static uint64_t host_mem_total(const char *meminfo)
{
    FILE *f = fopen(meminfo, "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemTotal: %" SCNu64 " kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

int run_check_config(const struct vm_config *cfg, const char *meminfo, char *err, size_t errlen)
{
    uint64_t size;
    if (cfg->kernel && check_file("kernel", cfg->kernel, &size, err, errlen) < 0)
        return -1;
    if (cfg->initrd) {
        if (check_file("initrd", cfg->initrd, &size, err, errlen) < 0)
            return -1;
        if (size >= cfg->mem_size) {
            snprintf(err, errlen, "initrd %s: %" PRIu64 " bytes do not fit in %" PRIu64 " MiB of guest RAM",
                     cfg->initrd, size, cfg->mem_size / MIB);
            return -1;
        }
    }
    uint64_t host = host_mem_total(meminfo);
    if (host && cfg->mem_size > host) {
        snprintf(err, errlen, "--mem %" PRIu64 "M: more than the host's memory (%" PRIu64 "M)",
                 cfg->mem_size / MIB, host / MIB);
        return -1;
    }
    return 0;
}
