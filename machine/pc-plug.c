/* Plugging the PC's devices that come from the command line (machine/pc.c calls these from
 * pc_init): each PCI function into the next slot with its BARs placed as firmware would leave them
 * (PCI 3.0, 6.2.5; the _PRT's INTx wiring), virtio-blk over PCI or virtio-mmio per --drive, the PIIX3
 * IDE and PIIX4 PM functions of a firmware boot, and the virtio-net NICs with their boot ROMs. */
#include "machine/pc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/loader.h"
#include "hw/pci/host.h"
#include "hw/pci/piix4-pm.h"
#include "hw/virtio/blk.h"
#include "hw/virtio/mmio.h"
#include "hw/virtio/net.h"
#include "hw/virtio/pci.h"
#include "machine/eventfd.h"
#include "machine/pc-drive.h"
#include "machine/pc-ide.h"
#include "machine/pc-int.h"
#include "machine/vm.h"

/* Plug d into the next slot as firmware would leave it: BARs placed (naturally aligned; memory in
 * the PCI hole, I/O from 0xc000), decoders off until the guest enables them, INTA# on the GSI the
 * _PRT names with that line in Interrupt Line. */
static int pc_pci_plug(struct pc *pc, struct pci_dev *d)
{
    unsigned slot = pc->next_slot;
    for (int i = 0; i < PCI_BARS; i++) {
        struct pci_bar *b = &d->bars[i];
        if (!b->size)
            continue;
        uint32_t *next = b->io ? &pc->next_io : &pc->next_mmio;
        uint32_t at = (*next + b->size - 1) & ~(b->size - 1);
        if (b->io ? at + b->size > 0x10000 : (uint64_t)at + b->size > PCI_ECAM_BASE)
            return -ENOSPC;
        pci_cfg_write(d, PCI_BAR0 + 4 * (unsigned)i, at, 4);
        *next = at + b->size;
    }
    unsigned gsi = pci_intx_gsi(slot, 0);
    if (!pc->irqfds[gsi])
        pc->irqfds[gsi] = irqfd_line_new(pc->vm, gsi);
    pci_dev_set_intx(d, pc->irqfds[gsi] ? irqfd_line_get(pc->irqfds[gsi]) : pc_irq_line(pc, gsi),
                     (uint8_t)gsi);
    pci_dev_set_msi(d, (struct msi_link){ .send = pc_msi, .opaque = pc,
                                          .route_set = pc->msi_routes ? pc_msi_route_set : NULL,
                                          .route_free = pc->msi_routes ? pc_msi_route_free : NULL });
    int r = pci_host_plug(pc->pci, slot, d);
    if (r == 0)
        pc->next_slot++;
    return r;
}

/* Drive i's virtio-blk over virtio-mmio: the next window and GSI of the DSDT's list (boot/aml.c
 * numbers them in the same drive order). */
static int pc_add_mmio(struct pc *pc, int i)
{
    if (pc->nmmio >= VIRTIO_MMIO_MAX)
        return -ENOSPC;
    unsigned k = (unsigned)pc->nmmio;
    struct irq_line irq = pc_irq_line(pc, VIRTIO_MMIO_GSI + k);
    if (!(pc->blk_mmios[i] = virtio_mmio_new(&pc->blks[i]->vdev, irq, pc->vm->loop)))
        return -ENOMEM;
    int r = bus_map(&pc->vm->mmio, VIRTIO_MMIO_BASE + k * VIRTIO_MMIO_STRIDE, VIRTIO_MMIO_STRIDE,
                    &virtio_mmio_ops, pc->blk_mmios[i], "virtio-mmio");
    if (r == 0)
        pc->nmmio++;
    return r;
}

int pc_pci_plug_cb(void *board, struct pci_dev *d)
{
    return pc_pci_plug(board, d);
}

/* One virtio-blk-pci per --drive, over the image the block layer opens (and locks). */
int pc_add_drives(struct pc *pc, char *err, size_t errlen)
{
    const struct vm_config *c = &pc->vm->cfg;
    for (int i = 0; i < c->ndrives; i++) {
        const struct vm_drive *dr = &c->drives[i];
        if (!dr->attached)
            continue;                  /* an if=none drive no -device took */
        char berr[BLK_ERR_LEN] = "";
        struct blk *bs = c->incoming ? pc_drive_open_incoming(dr, berr) : pc_drive_open(dr, berr);
        if (!bs) {
            snprintf(err, errlen, "drive %s: %s", dr->file, berr[0] ? berr : strerror(errno));
            return -EINVAL;
        }
        char id[32];
        snprintf(id, sizeof(id), "vmon-disk%d", i);
        struct virtio_blk_opts bo;
        pc_drive_blk_opts(dr, id, &bo);
        if (!(pc->blks[i] = virtio_blk_create(bs, &bo, &pc->vm->mem))) {
            blk_close(bs);
            goto nomem;
        }
        if (dr->mmio) {
            int r = pc_add_mmio(pc, i);
            if (r < 0) {
                snprintf(err, errlen, "drive %s: virtio-mmio: %s", dr->file, strerror(-r));
                return r;
            }
            continue;
        }
        if (!(pc->blk_pcis[i] = virtio_pci_new(&pc->blks[i]->vdev, pc->vm->loop)))
            goto nomem;
        if (!dr->no_ioeventfd)
            virtio_pci_set_doorbell(pc->blk_pcis[i], vm_doorbell_link(pc->vm));
        int r = pc_pci_plug(pc, &pc->blk_pcis[i]->pci);
        if (dr->no_irqfd)          /* irqfd=off: each MSI through signal_msi (measurements) */
            pci_dev_set_msi(&pc->blk_pcis[i]->pci, (struct msi_link){ .send = pc_msi, .opaque = pc });
        if (r < 0) {
            snprintf(err, errlen, "drive %s: no PCI slot or BAR space: %s", dr->file, strerror(-r));
            return r;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "creating virtio-blk: %s", strerror(ENOMEM));
    return -ENOMEM;
}

/* The PIIX3 IDE function, as QEMU's pc machine always has it: here for a firmware boot (SeaBIOS
 * looks for disks there) or when the command line gives IDE drives. */
int pc_add_ide(struct pc *pc, const struct irq_line *lines, char *err, size_t errlen)
{
    const struct vm_config *c = &pc->vm->cfg;
    bool any = !c->kernel;
    for (int i = 0; i < VM_MAX_IDE; i++)
        any |= c->ide[i].attached;
    if (!any)
        return 0;
    struct irq_line irq[2] = { lines[14], lines[15] };
    uint32_t bar = (pc->next_io + 15) & ~15u;
    if (!(pc->ide = pc_ide_new(pc->vm, pc->pci, irq, bar, err, errlen)))
        return -EINVAL;
    pc->next_io = bar + 16;
    return 0;
}

/* The PIIX4's PM function at 00:01.3, as QEMU's pc machine has it, for a firmware boot: it starts
 * programmed where SeaBIOS puts the ACPI PM block again (0x600, as the board's FADT for the
 * firmware says) and firmware finds the timer through it (OVMF reads PMBA back and keeps it). A
 * --kernel boot keeps the block at the same place without the function. */
int pc_add_pm_fn(struct pc *pc, char *err, size_t errlen)
{
    if (pc->vm->cfg.kernel)
        return 0;
    piix4_pm_init(&pc->pm_fn, pc->pm, &pc->vm->pio, PIIX4_PM_FIRMWARE_BASE);
    int r = pci_host_plug_fn(pc->pci, PCI_SLOT_PIIX3, PIIX4_PM_FN, &pc->pm_fn.dev);
    if (r < 0)
        snprintf(err, errlen, "PIIX4 PM function: %s", strerror(-r));
    return r;
}

/* NIC i's boot ROM in a firmware boot: romfile= or QEMU's default, when installed; none for
 * romfile= (empty) and for direct kernel boots. */
static int pc_nic_rom(struct pc *pc, int i, char *err, size_t errlen)
{
    const struct vm_nic *nic = &pc->vm->cfg.nics[i];
    pc->net_slots[i] = -1;
    if (pc->vm->cfg.kernel || (nic->romfile_set && !nic->romfile[0]))
        return 0;
    const char *name = nic->romfile_set ? nic->romfile : PC_ROM_VIRTIO_NET;
    int r = pc_rom_load(name, nic->romfile_set, &pc->net_roms[i], err, errlen);
    if (r == 0) {
        struct pci_dev *d = &pc->net_pcis[i]->pci;
        pc_rom_patch_ids(&pc->net_roms[i], (uint16_t)pci_cfg_read(d, PCI_VENDOR_ID, 2),
                         (uint16_t)pci_cfg_read(d, PCI_DEVICE_ID, 2));
        pci_dev_set_rom(d, pc->net_roms[i].image, pc->net_roms[i].size);
        pc->net_slots[i] = (int)pc->next_slot;
    }
    return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;       /* a bad romfile= is the user's input */
}

/* One virtio-net-pci per NIC, on the backend its options name (net/net.h); MACs default to
 * QEMU's 52:54:00:12:34:56, the last byte counting up. */
int pc_add_nics(struct pc *pc, char *err, size_t errlen)
{
    const struct vm_config *c = &pc->vm->cfg;
    for (int i = 0; i < VM_MAX_NICS; i++)
        pc->net_slots[i] = -1;
    for (int i = 0; i < c->nnics; i++) {
        const struct net_config *nc = &c->nics[i].net;
        char nerr[256] = "";
        struct net_backend *nb = net_backend_new(nc, nerr, sizeof(nerr));
        if (!nb) {
            snprintf(err, errlen, "%s", nerr);
            return -EINVAL;
        }
        uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + i) };
        if (nc->has_mac)
            memcpy(mac, nc->mac, 6);
        if (!(pc->nets[i] = virtio_net_new(nb, mac, &pc->vm->mem))) {
            net_backend_free(nb);
            goto nomem;
        }
        if (nc->mrg_rxbuf)
            virtio_net_set_mrg_rxbuf(pc->nets[i], nc->mrg_rxbuf > 0);
        if (nc->guest_tso4)
            virtio_net_set_guest_tso(pc->nets[i], VIRTIO_NET_F_GUEST_TSO4, nc->guest_tso4 > 0);
        if (nc->guest_tso6)
            virtio_net_set_guest_tso(pc->nets[i], VIRTIO_NET_F_GUEST_TSO6, nc->guest_tso6 > 0);
        if (!(pc->net_pcis[i] = virtio_pci_new(&pc->nets[i]->vdev, pc->vm->loop)))
            goto nomem;
        int r = pc_nic_rom(pc, i, err, errlen);
        if (r < 0)
            return r;
        r = pc_pci_plug(pc, &pc->net_pcis[i]->pci);
        if (r < 0 || (r = virtio_net_start(pc->nets[i])) < 0) {
            snprintf(err, errlen, "virtio-net: %s", strerror(-r));
            return r;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "creating virtio-net: %s", strerror(ENOMEM));
    return -ENOMEM;
}

