/* The board's part of a snapshot (machine/snapshot.h): which device saves which section, in the order
 * machine/pc.c registers them. Each device encodes its own state (each hw/ file's _save / _load); a
 * section a device refuses, or one missing for a device this board has, fails the restore with its
 * name. The interrupt controllers and timers are the soft platform's (machine/pc-soft.c) or the
 * accelerator's (save_irqchip / load_irqchip), in the same sections. Disks on virtio-blk-pci are
 * quiesced (no request in flight) while they are saved; their image files are the user's to keep
 * as they were (the disks' contents are not in the state file, as with QEMU's savevm to a file).
 * Firmware boots add the VGA's registers, and every boot the PS/2 keyboard, the PCI host bridge's
 * address latch and the board's own PCI functions (i440FX, PIIX3, PIIX4 PM: config space by devfn).
 * virtio-mmio disks save their transport's registers in a section of their own. The NICs, virtio-rng,
 * virtio-serial, vsock and the IDE controller are machine/pc-state-dev.c's, loaded before the soft
 * platform's clock (see there); every device of this board is saved, none refuses a save. */
#include "machine/pc-int.h"

#include <errno.h>
#include <stdio.h>

#include "hw/acpi-pm.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/pci/host.h"
#include "hw/serial.h"
#include "hw/vga.h"
#include "hw/virtio/blk.h"
#include "hw/virtio/mmio.h"
#include "hw/virtio/pci.h"
#include "machine/pc-ide.h"
#include "machine/pc-soft.h"
#include "machine/pc-vga.h"
#include "machine/pc-vdev.h"
#include "migration/vmstate.h"

#define TAG_SERIAL VMS_TAG('U', 'A', 'R', 'T')
#define TAG_VIRTIO_BLK VMS_TAG('V', 'B', 'L', 'K')
#define TAG_VIRTIO_BLK_MMIO VMS_TAG('V', 'B', 'L', 'M')   /* instance: the drive's index */
#define TAG_RTC VMS_TAG('R', 'T', 'C', ' ')
#define TAG_ACPI_PM VMS_TAG('A', 'C', 'P', 'I')
#define TAG_I8042 VMS_TAG('8', '0', '4', '2')
#define TAG_PS2_KBD VMS_TAG('P', 'S', '2', 'K')
#define TAG_VGA VMS_TAG('V', 'G', 'A', ' ')
#define TAG_PCI_HOST VMS_TAG('P', 'C', 'I', 'H')     /* the 0xcf8 latch */
#define TAG_PCI_FN VMS_TAG('P', 'C', 'I', 'F')       /* a bridge function's config space; instance: devfn */
#define DEVFN_I440FX 0x00
#define DEVFN_PIIX3 0x08
#define DEVFN_PIIX4_PM (0x08 | PIIX4_PM_FN)

/* The PCI functions of the board itself (virtio functions save their config in their own section). */
static int board_fns(struct pc *pc, struct pci_dev **fn, uint32_t *devfn)
{
    int n = 0;
    fn[n] = &pc->pci->i440fx, devfn[n++] = DEVFN_I440FX;
    fn[n] = &pc->pci->piix3, devfn[n++] = DEVFN_PIIX3;
    if (!pc->vm->cfg.kernel)                    /* firmware boots: machine/pc.c pc_add_pm_fn */
        fn[n] = &pc->pm_fn.dev, devfn[n++] = DEVFN_PIIX4_PM;
    return n;
}

int pc_save_state(struct vm *vm, struct vms_writer *w, char *err, size_t errlen)
{
    struct pc *pc = vm->platform;
    vms_begin(w, TAG_SERIAL, 0);
    serial_save(pc->com1, w);
    vms_end(w);
    vms_begin(w, TAG_I8042, 0);
    i8042_save(pc->i8042, w);
    vms_end(w);
    vms_begin(w, TAG_PS2_KBD, 0);
    i8042_kbd_save(pc->i8042, w);
    vms_end(w);
    vms_begin(w, TAG_RTC, 0);
    rtc_save(pc->rtc, w);
    vms_end(w);
    if (pc->vga) {
        vms_begin(w, TAG_VGA, 0);
        vga_save(pc_vga_device(pc->vga), w);
        vms_end(w);
    }
    vms_begin(w, TAG_PCI_HOST, 0);
    pci_host_save(pc->pci, w);
    vms_end(w);
    struct pci_dev *fn[3];
    uint32_t devfn[3];
    for (int i = 0, n = board_fns(pc, fn, devfn); i < n; i++) {
        vms_begin(w, TAG_PCI_FN, devfn[i]);
        pci_save(fn[i], w);
        vms_end(w);
    }
    vms_begin(w, TAG_ACPI_PM, 0);
    acpi_pm_save(pc->pm, w);
    vms_end(w);
    if (pc->soft)
        pc_soft_save(pc->soft, w);
    else if (vm->accel->save_irqchip && vm->accel->save_irqchip(vm, w) < 0)
        return snprintf(err, errlen, "%s: reading the interrupt controllers failed", vm->accel->name), -EIO;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (!pc->blks[i])
            continue;
        if (!pc->quiesced)         /* savevm quiesced them already, until its disk snapshots are made */
            virtio_blk_quiesce(pc->blks[i]);
        vms_begin(w, pc->blk_pcis[i] ? TAG_VIRTIO_BLK : TAG_VIRTIO_BLK_MMIO, (uint32_t)i);
        if (pc->blk_pcis[i])
            virtio_pci_save(pc->blk_pcis[i], w);
        else
            virtio_mmio_save(pc->blk_mmios[i], w);
        vms_end(w);
        if (!pc->quiesced)
            virtio_blk_thaw(pc->blks[i]);
    }
    if (!pc->quiesced)             /* every caller quiesces the board first; this keeps the sections whole */
        pc_hold_devs(pc, true);
    int r = pc_save_devs(pc, w, err, errlen);
    if (!pc->quiesced)
        pc_hold_devs(pc, false);
    if (r < 0)
        return r;
    if (w->err)
        snprintf(err, errlen, "%s", "out of memory");
    return w->err;
}

int pc_state_load_one(struct vms_index *idx, uint32_t tag, uint32_t inst, const char *name,
                    int (*load)(void *dev, struct vms_reader *r), void *dev, char *err, size_t errlen)
{
    struct vms_section *s = vms_index_take(idx, tag, inst);
    if (!s) {
        snprintf(err, errlen, "no state for %s", name);
        return -EINVAL;
    }
    struct vms_reader r;
    vms_reader_init(&r, s);
    if (load(dev, &r) < 0) {
        snprintf(err, errlen, "%s: corrupted section", name);
        return -EINVAL;
    }
    return 0;
}

static int load_serial(void *dev, struct vms_reader *r) { return serial_load(dev, r); }
static int load_vpci(void *dev, struct vms_reader *r) { return virtio_pci_load(dev, r); }
static int load_vmmio(void *dev, struct vms_reader *r) { return virtio_mmio_load(dev, r); }
static int load_i8042(void *dev, struct vms_reader *r) { return i8042_load(dev, r); }
static int load_rtc(void *dev, struct vms_reader *r) { return rtc_load(dev, r); }
static int load_pm(void *dev, struct vms_reader *r) { return acpi_pm_load(dev, r); }
static int load_kbd(void *dev, struct vms_reader *r) { return i8042_kbd_load(dev, r); }
static int load_vga(void *dev, struct vms_reader *r) { return vga_load(dev, r); }
static int load_host(void *dev, struct vms_reader *r) { return pci_host_load(dev, r); }
static int load_fn(void *dev, struct vms_reader *r) { return pci_load(dev, r); }

/* The firmware-boot devices and the board's PCI functions, after the ACPI PM block (PIIX4 PM moves it). */
static int load_board(struct pc *pc, struct vms_index *idx, char *err, size_t errlen)
{
    /* A --restore without --kernel builds a firmware board: the VGA and the PIIX4 PM function a
     * --kernel VM did not have stay as at reset (the PM block is where a --kernel boot has it). */
    bool vga = pc->vga && vms_index_has(idx, TAG_VGA, 0);
    if (pc_state_load_one(idx, TAG_PS2_KBD, 0, "PS/2 keyboard", load_kbd, pc->i8042, err, errlen) < 0 ||
        (vga && pc_state_load_one(idx, TAG_VGA, 0, "VGA", load_vga, pc_vga_device(pc->vga), err, errlen) < 0) ||
        pc_state_load_one(idx, TAG_PCI_HOST, 0, "PCI host bridge", load_host, pc->pci, err, errlen) < 0)
        return -EINVAL;
    struct pci_dev *fn[3];
    uint32_t devfn[3];
    for (int i = 0, n = board_fns(pc, fn, devfn); i < n; i++) {
        char name[48];
        snprintf(name, sizeof(name), "PCI function 00:%02x.%x (%s)", devfn[i] >> 3, devfn[i] & 7, fn[i]->name);
        if (devfn[i] == DEVFN_PIIX4_PM && !vms_index_has(idx, TAG_PCI_FN, devfn[i]))
            continue;
        if (pc_state_load_one(idx, TAG_PCI_FN, devfn[i], name, load_fn, fn[i], err, errlen) < 0)
            return -EINVAL;
    }
    return 0;
}

int pc_load_state(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    struct pc *pc = vm->platform;
    if (!pc->load_held) {          /* until pc_state_resume: RAM must be in place first */
        pc_hold_devs(pc, true);
        pc->load_held = true;
    }
    /* The devices whose loads take a while (a NIC's backend pauses its thread) before the soft
     * platform's clock: it goes on from the save as it loads, and the vCPUs' TSCs are written against
     * it after the board; time spent in between puts the guest's TSC behind its LAPIC timer's. */
    if (pc_load_devs(pc, idx, err, errlen) < 0)
        return -EINVAL;
    if (pc->soft && pc_soft_load(pc->soft, idx, err, errlen) < 0)
        return -EINVAL;
    if (!pc->soft && vm->accel->load_irqchip && vm->accel->load_irqchip(vm, idx, err, errlen) < 0)
        return -EINVAL;
    if (pc_state_load_one(idx, TAG_SERIAL, 0, "COM1", load_serial, pc->com1, err, errlen) < 0 ||
        pc_state_load_one(idx, TAG_I8042, 0, "i8042", load_i8042, pc->i8042, err, errlen) < 0 ||
        pc_state_load_one(idx, TAG_RTC, 0, "RTC", load_rtc, pc->rtc, err, errlen) < 0 ||
        pc_state_load_one(idx, TAG_ACPI_PM, 0, "ACPI PM", load_pm, pc->pm, err, errlen) < 0 ||
        load_board(pc, idx, err, errlen) < 0)
        return -EINVAL;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "virtio-blk disk %d", i);
        if (pc->blk_pcis[i] && pc_state_load_one(idx, TAG_VIRTIO_BLK, (uint32_t)i, name, load_vpci,
                                        pc->blk_pcis[i], err, errlen) < 0)
            return -EINVAL;
        if (pc->blk_mmios[i] && pc_state_load_one(idx, TAG_VIRTIO_BLK_MMIO, (uint32_t)i, name, load_vmmio,
                                                  pc->blk_mmios[i], err, errlen) < 0)
            return -EINVAL;
    }
    return 0;
}

/* After RAM is in place: look at every queue once (a notification the save did not see). */
void pc_state_resume(struct vm *vm)
{
    struct pc *pc = vm->platform;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (!pc->blks[i])
            continue;
        pthread_mutex_lock(&pc->blks[i]->vdev.lock);
        virtio_dev_kick_all_locked(&pc->blks[i]->vdev);
        pthread_mutex_unlock(&pc->blks[i]->vdev.lock);
    }
    if (pc->load_held) {
        pc->load_held = false;
        pc_hold_devs(pc, false);   /* and each held device looks at its queues */
    }
}

/* Around a restore into a running VM or a savevm: the disks take no request meanwhile, then look at
 * every queue. Nested calls (savevm's around a restore's) count: only the outermost thaws. Called from
 * the monitor's thread only. */
void pc_state_quiesce(struct vm *vm, bool on)
{
    struct pc *pc = vm->platform;
    if (on ? pc->quiesced++ > 0 : --pc->quiesced > 0)
        return;
    pc_hold_devs(pc, on);
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (pc->blks[i] && on)
            virtio_blk_quiesce(pc->blks[i]);
        else if (pc->blks[i])
            virtio_blk_thaw(pc->blks[i]);
    }
}
