/* libFuzzer target over the VM state file's loader (issue 18): the input is a whole state file. Its
 * header is decoded (magic, version, sizes, where the sections and RAM lie, checked against the
 * input's length) and its section list split; then every section goes to the loader of its tag, each
 * on a real device model: a vCPU's registers (machine/snapshot-cpu.c), COM1, the i8042, RTC, ACPI PM,
 * PIC, IOAPIC, PIT, HPET, a LAPIC and a virtio-pci function (device, queues whose rings must lie in a small guest RAM,
 * transport, MSI-X, PCI config space), the PS/2 keyboard, the VGA, the PCI host's latch and the
 * board's PCI functions (a PIIX4 PM function whose config moves an ACPI PM block on an I/O bus), a
 * virtio-net-pci NIC over a user backend (libslirp's bytes included), virtio-rng-pci, virtio-serial
 * with one virtconsole, vsock with no host side, a virtio-mmio function, and the IDE controller with a
 * 1 MiB disk at 0.0 and a 1 MiB CD at 1.0 (tests/snapshot/fuzz-seeds.sh saves the same devices). The sections' CRC is not checked here, so that mutated
 * sections reach the loaders. Nothing may crash, hang or read out of bounds: make fuzz-vmstate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/apic-int.h"
#include "hw/acpi-pm.h"
#include "hw/apic.h"
#include "hw/hpet.h"
#include "hw/i8042.h"
#include "hw/ide/ide.h"
#include "hw/ide/piix.h"
#include "hw/ioapic.h"
#include "hw/pci/host.h"
#include "hw/pci/piix4-pm.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "hw/vga.h"
#include "hw/virtio/console.h"
#include "hw/virtio/mmio.h"
#include "hw/virtio/net.h"
#include "hw/virtio/vsock.h"
#include "hw/virtio/pci.h"
#include "hw/virtio/rng.h"
#include "hw/virtio/virtio.h"
#include "machine/snapshot.h"
#include "migration/vmstate.h"
#include "mm/memory.h"
#include "util/eventloop.h"
#include "util/tsc.h"

static uint64_t idle_now(void *ctx) { (void)ctx; return clock_now_ns(); }
static struct plat_timer *idle_new(void *ctx, void (*cb)(void *), void *o) { (void)cb; (void)o; return ctx; }
static void idle_arm(void *ctx, struct plat_timer *t, uint64_t d) { (void)ctx; (void)t; (void)d; }
static void idle_free(void *ctx, struct plat_timer *t) { (void)ctx; (void)t; }
static const struct plat_clock_ops idle_ops = { idle_now, idle_new, idle_arm, idle_free };
static void no_irq(void *o, int level) { (void)o; (void)level; }
static void no_tx(void *o, uint8_t b) { (void)o; (void)b; }
static void no_notify(struct virtio_dev *v, unsigned q) { (void)v; (void)q; }

struct rig {
    int dummy;
    struct plat_clock clk;
    struct tsc tsc;
    struct apic_bus bus;
    struct guest_mem mem;
    struct serial *com1;
    struct pic pic;
    struct ioapic io;
    struct pit pit;
    struct hpet hpet;
    struct lapic lapic;
    struct virtio_dev_ops ops;
    struct virtio_dev vdev;
    uint8_t config[16];
    struct virtio_pci *vp;
    struct i8042 *kbd;
    struct rtc *rtc;
    struct acpi_pm *pm;
    struct vga *vga;
    struct bus pio, mmio;
    struct pci_host *host;
    struct acpi_pm *pm2;       /* moved by the PIIX4 PM function */
    struct piix4_pm pm_fn;
    struct virtio_net *net;
    struct virtio_pci *net_vp;
    struct virtio_rng *rng;
    struct virtio_pci *rng_vp;
    struct ide_ctrl *ide;
    uint8_t disk[1u << 20], cd[1u << 20];
    struct virtio_console *con;
    struct virtio_pci *con_vp;
    struct virtio_vsock *vsock;
    struct virtio_pci *vsock_vp;
    struct virtio_dev mdev;
    uint8_t mconfig[16];
    struct virtio_mmio *vmmio;
};

static int media_read(void *o, uint64_t off, void *buf, size_t len)
{
    if (off > sizeof(((struct rig *)0)->disk) || len > sizeof(((struct rig *)0)->disk) - off)
        return -1;
    memcpy(buf, (uint8_t *)o + off, len);
    return 0;
}

static int media_write(void *o, uint64_t off, const void *buf, size_t len)
{
    if (off > sizeof(((struct rig *)0)->disk) || len > sizeof(((struct rig *)0)->disk) - off)
        return -1;
    memcpy((uint8_t *)o + off, buf, len);
    return 0;
}

static int media_flush(void *o) { (void)o; return 0; }
static const struct ide_media_ops media_ops = { media_read, media_write, media_flush };

/* The board's issue-18 second-round devices: a NIC on a user backend (not started: no thread), rng, IDE. */
static void rig_more(struct rig *g)
{
    struct net_config nc = { .kind = NET_USER, .queues = 1 };
    char err[256];
    struct net_backend *nb = net_backend_new(&nc, err, sizeof(err));
    uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    struct irq_line irq[2] = { { no_irq, NULL }, { no_irq, NULL } };
    if (!nb || !(g->net = virtio_net_new(nb, mac, &g->mem)) || !(g->net_vp = virtio_pci_new(&g->net->vdev, NULL)) ||
        !(g->rng = virtio_rng_new(&g->mem, NULL, 0, 0)) || !(g->rng_vp = virtio_pci_new(&g->rng->vdev, NULL)) ||
        !(g->ide = ide_new(&g->mem, irq)))
        abort();
    ide_piix_init(g->ide);
    struct ide_media disk = { .ops = &media_ops, .opaque = g->disk, .size = sizeof(g->disk) };
    struct ide_media cd = { .ops = &media_ops, .opaque = g->cd, .size = sizeof(g->cd), .cdrom = true, .readonly = true };
    if (ide_attach(g->ide, 0, 0, &disk) < 0 || ide_attach(g->ide, 1, 0, &cd) < 0)
        abort();
    char verr[128];
    if (!(g->con = virtio_console_new(&g->mem)) || virtio_console_add_port(g->con, true, NULL, (struct chr_link){ 0 }) < 0 ||
        !(g->con_vp = virtio_pci_new(&g->con->vdev, NULL)) ||
        !(g->vsock = virtio_vsock_new(&g->mem, NULL, 3, NULL, verr, sizeof(verr))) ||
        !(g->vsock_vp = virtio_pci_new(&g->vsock->vdev, NULL)))
        abort();
    virtio_dev_init(&g->mdev, &g->ops, NULL, &g->mem, g->mconfig, sizeof(g->mconfig));
    if (!(g->vmmio = virtio_mmio_new(&g->mdev, irq[0], NULL)))
        abort();
}

static struct rig *rig_new(void)
{
    struct rig *g = calloc(1, sizeof(*g));
    if (!g || guest_mem_init(&g->mem, 1u << 20) < 0)
        abort();
    g->clk = (struct plat_clock){ &idle_ops, &g->dummy };
    tsc_init(&g->tsc, &g->clk, 0);
    apic_bus_init(&g->bus, &g->clk, &g->tsc);
    struct serial_link link = { no_irq, no_tx, NULL };
    g->com1 = serial_new(&link);
    pic_init(&g->pic, NULL, NULL);
    ioapic_init(&g->io, &g->bus, 1);
    if (!g->com1 || pit_init(&g->pit, &g->clk, no_irq, NULL) < 0 ||
        hpet_init(&g->hpet, &g->clk, NULL, NULL) < 0)
        abort();
    pthread_mutex_init(&g->lapic.lock, NULL);
    g->lapic.bus = &g->bus;
    g->lapic.timer = (struct plat_timer *)&g->dummy;
    g->ops = (struct virtio_dev_ops){ .name = "fuzz", .device_id = 2, .num_queues = 2, .features = 1u << 9,
                                      .queue_notify = no_notify };
    virtio_dev_init(&g->vdev, &g->ops, NULL, &g->mem, g->config, sizeof(g->config));
    struct irq_line none = { 0 };
    struct stop_link stop = { 0 };
    if (!(g->vp = virtio_pci_new(&g->vdev, NULL)) || !(g->kbd = i8042_new(&none, &stop)) ||
        !(g->rtc = rtc_new(&none, NULL)) || !(g->pm = acpi_pm_new(&none, &stop)))
        abort();
    struct vga_link vl = { .mem = &g->mem };
    bus_init(&g->pio, "pio");
    bus_init(&g->mmio, "mmio");
    if (!(g->vga = vga_new(&vl)) || !(g->host = pci_host_new(&g->pio, &g->mmio)) ||
        !(g->pm2 = acpi_pm_new(&none, &stop)) || acpi_pm_map(g->pm2, &g->pio) < 0)
        abort();
    piix4_pm_init(&g->pm_fn, g->pm2, &g->pio, PIIX4_PM_FIRMWARE_BASE);
    rig_more(g);
    return g;
}

static void load(struct rig *g, struct vms_section *s)
{
    struct vms_reader r;
    vms_reader_init(&r, s);
    switch (s->tag) {
    case VMS_TAG('C', 'P', 'U', ' '): {
        struct cpu_state cs;
        struct fpu_state f;
        struct vcpu_arch_state a;
        snapshot_cpu_get(&r, &cs, &f, &a);
        break;
    }
    case VMS_TAG('U', 'A', 'R', 'T'): serial_load(g->com1, &r); break;
    case VMS_TAG('P', 'I', 'C', ' '): pic_load(&g->pic, &r); break;
    case VMS_TAG('I', 'O', 'A', 'P'): ioapic_load(&g->io, &r); break;
    case VMS_TAG('P', 'I', 'T', ' '): pit_load(&g->pit, &r); break;
    case VMS_TAG('H', 'P', 'E', 'T'): hpet_load(&g->hpet, &r); break;
    case VMS_TAG('L', 'A', 'P', 'C'): lapic_load(&g->lapic, &r); break;
    case VMS_TAG('V', 'B', 'L', 'K'): virtio_pci_load(g->vp, &r); break;
    case VMS_TAG('8', '0', '4', '2'): i8042_load(g->kbd, &r); break;
    case VMS_TAG('R', 'T', 'C', ' '): rtc_load(g->rtc, &r); break;
    case VMS_TAG('A', 'C', 'P', 'I'): acpi_pm_load(g->pm, &r); break;
    case VMS_TAG('P', 'S', '2', 'K'): i8042_kbd_load(g->kbd, &r); break;
    case VMS_TAG('V', 'G', 'A', ' '): vga_load(g->vga, &r); break;
    case VMS_TAG('P', 'C', 'I', 'H'): pci_host_load(g->host, &r); break;
    case VMS_TAG('P', 'C', 'I', 'F'):
        pci_load(s->instance == 0 ? &g->host->i440fx : s->instance == 8 ? &g->host->piix3 : &g->pm_fn.dev, &r);
        break;
    case VMS_TAG('V', 'N', 'E', 'T'):
        if (virtio_net_load(g->net, &r) == 0)
            virtio_pci_load(g->net_vp, &r);
        break;
    case VMS_TAG('V', 'R', 'N', 'G'): virtio_pci_load(g->rng_vp, &r); break;
    case VMS_TAG('I', 'D', 'E', ' '): ide_load(g->ide, &r); break;
    case VMS_TAG('V', 'C', 'O', 'N'):
        if (virtio_console_load(g->con, &r) == 0)
            virtio_pci_load(g->con_vp, &r);
        break;
    case VMS_TAG('V', 'S', 'C', 'K'):
        if (virtio_vsock_load(g->vsock, &r) == 0)
            virtio_pci_load(g->vsock_vp, &r);
        break;
    case VMS_TAG('V', 'B', 'L', 'M'): virtio_mmio_load(g->vmmio, &r); break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rig *g;
    static struct vms_index idx;
    if (!g)
        g = rig_new();
    struct vms_header h;
    const char *why;
    if (vms_header_decode(data, size, size, &h, &why) < 0)
        return 0;
    if (vms_index_build(data + h.sect_off, h.sect_len, &idx, &why) < 0)
        return 0;
    for (unsigned i = 0; i < idx.n; i++)
        load(g, &idx.s[i]);
    return 0;
}
