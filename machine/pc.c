/* The PC machine: every device, in the order it is registered, and the IRQ wiring between them.
 *
 *   0x0060, 0x0064  i8042 (reset line)         0x0070-0x0071  RTC/CMOS, IRQ 8
 *   0x0080          POST code port (ignored)    0x00e0-0x00eb  pc-testdev ports
 *   0x00f4-0x00f7   isa-debug-exit              0x03f8-0x03ff  COM1 16550A, IRQ 4
 *   0x0510-0x0511   fw_cfg                      0x0600-0x060b  ACPI PM1a event/control, PM timer
 *   0x0cf8 (dword)  PCI config address          0x0cfc-0x0cff  PCI config data
 *   0x0cf9          reset control               0x2000-0x2017  pc-testdev IRQ lines
 *   0x01f0-0x01f7, 0x03f6  IDE primary, IRQ 14   0x0170-0x0177, 0x0376  IDE secondary, IRQ 15
 *   PCI bus 0: slot 0 i440FX host bridge, slot 1 PIIX3 ISA bridge (function 1: its IDE controller,
 *   present for a firmware boot or when an IDE drive is given: machine/pc-ide.c); devices from slot 2 with their
 *   BARs placed from PC_PCI_MMIO_BASE (memory) and PC_PCI_IO_BASE (I/O), INTx as pci_intx_gsi,
 *   MSI/MSI-X messages to the LAPICs (pc_msi). Memory BARs stay below the ECAM window.
 *   0xe0000000      PCI ECAM (256 MiB: buses 0-255, as the MCFG says)
 *   0xfeb00000      virtio-mmio devices (--drive if=virtio-mmio), 512 bytes each, GSI 16 + n
 *   0xff000000      pc-testdev memory window (64 KiB)
 * The devices the command line adds (disks, NICs, a firmware boot's IDE and PM functions) are
 * plugged by machine/pc-plug.c.
 * The interrupt controllers are the accelerator's when it has them in the kernel (accel_ops'
 * irqchip_in_kernel: its set_irq drives them); otherwise the board provides them (machine/pc-soft.c)
 * and routes every line itself. */
#include "machine/pc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/acpi-pm.h"
#include "hw/debug-exit.h"
#include "hw/fw_cfg.h"
#include "hw/i8042.h"
#include "hw/pc-testdev.h"
#include "hw/pci/host.h"
#include "hw/pci/piix4-pm.h"
#include "hw/virtio/blk.h"
#include "hw/virtio/mmio.h"
#include "hw/virtio/net.h"
#include "hw/virtio/pci.h"
#include "boot/loader.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "hw/stdio.h"
#include "machine/eventfd.h"
#include "machine/pc-drive.h"
#include "machine/pc-fwcfg.h"
#include "machine/pc-ide.h"
#include "machine/pc-int.h"
#include "machine/pc-soft.h"
#include "machine/pc-vga.h"
#include "machine/pc-vdev.h"
#include "machine/vm.h"

#define PC_PCI_FIRST_SLOT 2
#define PC_PCI_MMIO_BASE  PCI_MMIO_START
#define PC_PCI_IO_BASE    0xc000u

/* Drive ISA/GSI line gsi: the accelerator's in-kernel PIC+IOAPIC, or the userspace platform's. */
static void pc_set_irq(struct pc *pc, unsigned gsi, int level)
{
    if (pc->soft)
        pc_soft_set_irq(pc->soft, gsi, level);
    else if (pc->vm->accel->set_irq)
        pc->vm->accel->set_irq(pc->vm, gsi, level);
}

static void pc_irq_set(void *opaque, int level)
{
    struct pc_irq *irq = opaque;
    pc_set_irq(irq->pc, irq->gsi, level);
}

struct irq_line pc_irq_line(struct pc *pc, unsigned gsi)
{
    return (struct irq_line){ .set = pc_irq_set, .opaque = &pc->irqs[gsi] };
}

/* A PCI function's MSI: the userspace LAPICs, or the accelerator's. */
void pc_msi(void *opaque, uint64_t addr, uint32_t data)
{
    struct pc *pc = opaque;
    if (pc->soft)
        pc_soft_msi(pc->soft, addr, data);
    else if (pc->vm->accel->signal_msi)
        pc->vm->accel->signal_msi(pc->vm, addr, data);
}

int pc_msi_route_set(void *opaque, int *id, uint64_t addr, uint32_t data)
{
    struct pc *pc = opaque;
    return msi_routes_set(pc->msi_routes, id, addr, data);
}

void pc_msi_route_free(void *opaque, int id)
{
    struct pc *pc = opaque;
    msi_routes_put(pc->msi_routes, id);
}

/* A device asks to end the run: the VM's stop reason (the first one wins). */
static void pc_stop_request(void *opaque, enum stop_request what, int status)
{
    struct vm *vm = opaque;
    switch (what) {
    case STOP_REQ_POWEROFF:
        vm_request_stop(vm, VCPU_POWEROFF, 0);
        break;
    case STOP_REQ_RESET:       /* in place, or the end under -no-reboot (machine/vm.c) */
        vm_reset(vm, VM_CAUSE_GUEST_RESET);
        break;
    case STOP_REQ_DEBUG_EXIT:
        vm_request_stop(vm, VCPU_DEBUG_EXIT, status);
        break;
    case STOP_REQ_QUIT:        /* Ctrl-A x */
    default:
        vm_shutdown(vm, VCPU_STOP, 0, VM_CAUSE_HOST_UI);
        break;
    }
}

/* COM1's link: its line goes to IRQ 4, its bytes to the console. */
static void com1_irq(void *opaque, int level)
{
    struct pc *pc = opaque;
    pc_set_irq(pc, SERIAL_COM1_IRQ, level);
}

static void com1_tx(void *opaque, uint8_t byte)
{
    struct pc *pc = opaque;
    stdio_chr_tx(pc->console, byte);
}

static void com1_rx_room(void *opaque)
{
    struct pc *pc = opaque;
    stdio_chr_rx_room(pc->console);
}

/* Port 0x80: firmware and Linux write POST codes or use it as an I/O delay; nothing to do. */
static uint64_t port80_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev; (void)off; (void)size;
    return 0xff;
}

static void port80_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)dev; (void)off; (void)val; (void)size;
}

static const struct io_ops port80_ops = { .read = port80_read, .write = port80_write };

static void pc_power_button(struct vm *vm)
{
    struct pc *pc = vm->platform;
    acpi_pm_power_button(pc->pm);
}

/* The monitor shares the terminal with COM1 (QEMU's mon:stdio). */
static void pc_console_mux(struct vm *vm, const struct vm_console_link *l)
{
    struct pc *pc = vm->platform;
    struct stdio_mux_link m = { .input = l->input, .focus = l->focus, .opaque = l->opaque,
                                .focused = l->focused };
    stdio_chr_set_mux(pc->console, &m);
}

/* The VGA mirror's text, beside COM1's on the terminal, neither cutting the other's lines. */
static enum term_aside console_write(void *opaque, const char *buf, size_t n, unsigned flags)
{
    struct pc *pc = opaque;
    return stdio_chr_write_aside(pc->console, buf, n, flags);
}

static void pc_console_write(struct vm *vm, const char *buf, size_t n)
{
    struct pc *pc = vm->platform;
    stdio_chr_write(pc->console, buf, n);
}

/* A machine reset (QEMU's qemu_devices_reset), vCPUs parked: the interrupt controllers and timers,
 * ACPI PM, the PAM registers, and each virtio device as if its driver wrote status 0. The UART,
 * i8042, RTC and the rest of PCI configuration keep their state: a booting kernel programs them
 * again. */
static void pc_reset(struct vm *vm)
{
    struct pc *pc = vm->platform;
    if (pc->soft)
        pc_soft_reset(pc->soft);
    acpi_pm_reset(pc->pm);
    pci_host_reset_pam(pc->pci);   /* the firmware runs from its ROM again (82441FX 3.2.18) */
    pc_ide_reset(pc->ide);
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (!pc->blks[i])
            continue;
        struct virtio_dev *v = &pc->blks[i]->vdev;
        pthread_mutex_lock(&v->lock);
        virtio_set_status_locked(v, 0);
        pthread_mutex_unlock(&v->lock);
    }
}

static int pc_drive_info(struct vm *vm, int i, struct vm_drive_info *d)
{
    struct pc *pc = vm->platform;
    if (i < 0 || i >= VM_MAX_DRIVES || !pc->blks[i])
        return -ENOENT;
    const struct blk *bs = pc->blks[i]->bs;
    if (!bs)
        return -ENOENT;                /* handed over to a migration's destination */
    *d = (struct vm_drive_info){ .format = bs->drv->name, .size = bs->size };
    for (const struct blk *b = bs->backing; b; b = b->backing)
        d->depth++;
    return 0;
}

static struct blk *pc_drive_image(struct vm *vm, int i)
{
    struct pc *pc = vm->platform;
    return i >= 0 && i < VM_MAX_DRIVES && pc->blks[i] ? pc->blks[i]->bs : NULL;
}

static struct blk *pc_ide_image_op(struct vm *vm, int i)
{
    struct pc *pc = vm->platform;
    return pc->ide ? pc_ide_image(pc->ide, i) : NULL;
}

static int pc_key(struct vm *vm, const char *name, bool down)
{
    struct pc *pc = vm->platform;
    return i8042_key(pc->i8042, name, down);
}

static const struct vm_board_ops pc_board_ops = {
    .power_button = pc_power_button, .console_mux = pc_console_mux, .console_write = pc_console_write,
    .reset = pc_reset, .drive_info = pc_drive_info, .key = pc_key,
    .save_state = pc_save_state, .load_state = pc_load_state, .state_loaded = pc_state_resume,
    .quiesce = pc_state_quiesce, .disks_handover = pc_disks_handover,
    .disk_size = pc_disk_size, .disk_track = pc_disk_track, .disk_io = pc_disk_io,
    .drive_image = pc_drive_image, .ide_image = pc_ide_image_op,
};

int pc_init(struct vm *vm, char *err, size_t errlen)
{
    struct pc *pc = calloc(1, sizeof(*pc));
    int r;
    if (!pc)
        goto fail;
    vm->platform = pc;
    pc->vm = vm;
    pc->stop = (struct stop_link){ .request = pc_stop_request, .opaque = vm };
    pc->next_slot = PC_PCI_FIRST_SLOT;
    pc->next_mmio = PC_PCI_MMIO_BASE;
    pc->next_io = PC_PCI_IO_BASE;
    struct irq_line lines[PC_GSIS];
    for (unsigned i = 0; i < PC_GSIS; i++) {
        pc->irqs[i] = (struct pc_irq){ pc, i };
        lines[i] = pc_irq_line(pc, i);
    }

    /* Without an in-kernel irqchip the interrupt controllers and timers are ours to provide
     * first: every device below may raise a line as soon as it exists. */
    if (!vm->accel->irqchip_in_kernel && !(pc->soft = pc_soft_new(vm))) {
        r = -errno;
        snprintf(err, errlen, "soft PC platform: %s", strerror(-r));
        return r;
    }
    pc->msi_routes = msi_routes_new(vm);   /* NULL: MSIs through signal_msi or the soft LAPICs */

    struct serial_link link = { .set_irq = com1_irq, .tx = com1_tx, .rx_room = com1_rx_room,
                                .opaque = pc };
    if (!(pc->console = stdio_chr_new(vm->loop, &pc->stop, STDIN_FILENO, STDOUT_FILENO)) ||
        !(pc->com1 = serial_new(&link)))
        goto fail;
    stdio_chr_attach(pc->console, pc->com1);
    if (!(pc->i8042 = i8042_new(&lines[I8042_KBD_IRQ], &pc->stop)) ||
        !(pc->rtc = rtc_new(&lines[RTC_IRQ], vm->loop)) ||
        !(pc->pm = acpi_pm_new(&lines[ACPI_SCI_IRQ], &pc->stop)) || !(pc->fw_cfg = fw_cfg_new()) ||
        !(pc->testdev = pc_testdev_new(lines, &vm->mem)) ||
        !(pc->pci = pci_host_new(&vm->pio, &vm->mmio)))
        goto fail;
    pc->pci->pam = (struct pam_link){ pc_pam_changed, vm };
    rtc_set_mem_size(pc->rtc, guest_mem_low_end(&vm->mem),
                     vm->mem.nslots > 1 ? vm->mem.slots[1].size : 0);
    if ((r = pc_fw_cfg_setup(vm, pc->fw_cfg, err, errlen)) < 0)
        return r;

    if ((r = i8042_map(pc->i8042, &vm->pio)) < 0 || (r = rtc_map(pc->rtc, &vm->pio)) < 0 ||
        (r = bus_map(&vm->pio, 0x80, 1, &port80_ops, NULL, "post-code")) < 0 ||
        (r = pc_testdev_map(pc->testdev, &vm->pio, &vm->mmio)) < 0 ||
        (r = bus_map(&vm->pio, DEBUG_EXIT_BASE, DEBUG_EXIT_SIZE, &debug_exit_io_ops, &pc->stop,
                     "isa-debug-exit")) < 0 ||
        (r = bus_map(&vm->pio, SERIAL_COM1_BASE, 8, &serial_io_ops, pc->com1, "com1")) < 0 ||
        (r = bus_map(&vm->pio, FW_CFG_PORT, 2, &fw_cfg_io_ops, pc->fw_cfg, "fw_cfg")) < 0 ||
        (r = bus_map(&vm->pio, FW_CFG_DMA_PORT, 8, &fw_cfg_dma_io_ops, pc->fw_cfg, "fw_cfg-dma")) < 0 ||
        (r = acpi_pm_map(pc->pm, &vm->pio)) < 0 ||
        (r = pci_host_map(pc->pci)) < 0 ||
        (r = pci_host_map_ecam(pc->pci, PCI_ECAM_BASE, PCI_ECAM_SIZE)) < 0) {
        snprintf(err, errlen, "mapping devices: %s", strerror(-r));
        return r;
    }
    if ((r = pc_vga_add(vm, pc->fw_cfg, console_write, pc, &pc->vga, err, errlen)) < 0)
        return r;
    vm->board = &pc_board_ops;
    if ((r = pc_add_pm_fn(pc, err, errlen)) < 0 || (r = pc_add_ide(pc, lines, err, errlen)) < 0)
        return r;
    if ((r = pc_add_drives(pc, err, errlen)) < 0)
        return r;
    if ((r = pc_add_nics(pc, err, errlen)) < 0)
        return r;
    if ((r = pc_fw_cfg_bootorder(&vm->cfg, pc->fw_cfg, pc->net_slots)) < 0) {
        snprintf(err, errlen, "fw_cfg bootorder: %s", strerror(-r));
        return r;
    }
    return pc_vdevs_add(vm, pc_pci_plug_cb, pc, &pc->vdevs, err, errlen);
fail:
    snprintf(err, errlen, "creating devices: %s", strerror(ENOMEM));
    return -ENOMEM;
}

void pc_destroy(struct vm *vm)
{
    struct pc *pc = vm->platform;
    if (!pc)
        return;
    pc_vga_free(pc->vga);          /* its mirror writes to the console */
    stdio_chr_free(pc->console);   /* puts the terminal back */
    serial_free(pc->com1);
    i8042_free(pc->i8042);
    rtc_free(pc->rtc);
    acpi_pm_free(pc->pm);
    fw_cfg_free(pc->fw_cfg);
    pc_testdev_free(pc->testdev);
    pc_vdevs_free(pc->vdevs);
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        virtio_blk_stop(pc->blks[i]);  /* its I/O threads raise interrupts through the transport */
        virtio_pci_free(pc->blk_pcis[i]);
        virtio_mmio_free(pc->blk_mmios[i]);
        virtio_blk_free(pc->blks[i]);
    }
    for (int i = 0; i < VM_MAX_NICS; i++) {
        virtio_net_free(pc->nets[i]);      /* first: stops the backend's thread */
        virtio_pci_free(pc->net_pcis[i]);
        pc_rom_free(&pc->net_roms[i]);
    }
    pc_ide_free(pc->ide);
    pci_host_free(pc->pci);
    for (unsigned i = 0; i < PC_GSIS; i++)
        irqfd_line_free(pc->irqfds[i]);
    msi_routes_free(pc->msi_routes);   /* after the devices: they give their routes back */
    pc_soft_free(pc->soft);
    free(pc);
    vm->platform = NULL;
    vm->board = NULL;
}
