/* The board's part of a snapshot (machine/snapshot.h): which device saves which section, in the order
 * machine/pc.c registers them. Each device encodes its own state (each hw/ file's _save / _load); a
 * section a device refuses, or one missing for a device this board has, fails the restore with its
 * name. The interrupt controllers and timers are the soft platform's (machine/pc-soft.c) or the
 * accelerator's (save_irqchip / load_irqchip), in the same sections. Disks on virtio-blk-pci are
 * quiesced (no request in flight) while they are saved; their image files are the user's to keep
 * as they were (the disks' contents are not in the state file, as with QEMU's savevm to a file).
 * Devices that cannot be saved yet (virtio-net, -rng, -serial, -vsock, virtio-mmio disks) make the
 * save fail with their name rather than write a file that would not restore. */
#include "machine/pc-int.h"

#include <errno.h>
#include <stdio.h>

#include "hw/acpi-pm.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "hw/virtio/blk.h"
#include "hw/virtio/pci.h"
#include "machine/pc-ide.h"
#include "machine/pc-soft.h"
#include "machine/pc-vdev.h"
#include "migration/vmstate.h"

#define TAG_SERIAL VMS_TAG('U', 'A', 'R', 'T')
#define TAG_VIRTIO_BLK VMS_TAG('V', 'B', 'L', 'K')
#define TAG_RTC VMS_TAG('R', 'T', 'C', ' ')
#define TAG_ACPI_PM VMS_TAG('A', 'C', 'P', 'I')
#define TAG_I8042 VMS_TAG('8', '0', '4', '2')

/* The first device this board cannot save yet, or NULL. */
static const char *unsaveable(const struct pc *pc)
{
    for (int i = 0; i < VM_MAX_NICS; i++)
        if (pc->nets[i])
            return "virtio-net";
    for (int i = 0; i < VM_MAX_DRIVES; i++)
        if (pc->blk_mmios[i])
            return "virtio-mmio disk";
    if (pc->ide && pc_ide_has_media(pc->ide))
        return "IDE disk";
    return pc_vdevs_any(pc->vdevs) ? "virtio-rng/-serial/-vsock" : NULL;
}

int pc_save_state(struct vm *vm, struct vms_writer *w, char *err, size_t errlen)
{
    struct pc *pc = vm->platform;
    const char *no = unsaveable(pc);
    if (no) {
        snprintf(err, errlen, "%s devices cannot be saved yet", no);
        return -ENOTSUP;
    }
    vms_begin(w, TAG_SERIAL, 0);
    serial_save(pc->com1, w);
    vms_end(w);
    vms_begin(w, TAG_I8042, 0);
    i8042_save(pc->i8042, w);
    vms_end(w);
    vms_begin(w, TAG_RTC, 0);
    rtc_save(pc->rtc, w);
    vms_end(w);
    vms_begin(w, TAG_ACPI_PM, 0);
    acpi_pm_save(pc->pm, w);
    vms_end(w);
    if (pc->soft)
        pc_soft_save(pc->soft, w);
    else if (vm->accel->save_irqchip && vm->accel->save_irqchip(vm, w) < 0)
        return snprintf(err, errlen, "%s: reading the interrupt controllers failed", vm->accel->name), -EIO;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (!pc->blk_pcis[i])
            continue;
        if (!pc->quiesced)         /* savevm quiesced them already, until its disk snapshots are made */
            virtio_blk_quiesce(pc->blks[i]);
        vms_begin(w, TAG_VIRTIO_BLK, (uint32_t)i);
        virtio_pci_save(pc->blk_pcis[i], w);
        vms_end(w);
        if (!pc->quiesced)
            virtio_blk_thaw(pc->blks[i]);
    }
    if (w->err)
        snprintf(err, errlen, "%s", "out of memory");
    return w->err;
}

/* Find (tag, instance) and hand a reader over it to load; a missing or refused one fails with name. */
static int load_one(struct vms_index *idx, uint32_t tag, uint32_t inst, const char *name,
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
static int load_i8042(void *dev, struct vms_reader *r) { return i8042_load(dev, r); }
static int load_rtc(void *dev, struct vms_reader *r) { return rtc_load(dev, r); }
static int load_pm(void *dev, struct vms_reader *r) { return acpi_pm_load(dev, r); }

int pc_load_state(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    struct pc *pc = vm->platform;
    const char *no = unsaveable(pc);
    if (no) {
        snprintf(err, errlen, "%s devices cannot be restored yet", no);
        return -EINVAL;
    }
    if (pc->soft && pc_soft_load(pc->soft, idx, err, errlen) < 0)
        return -EINVAL;
    if (!pc->soft && vm->accel->load_irqchip && vm->accel->load_irqchip(vm, idx, err, errlen) < 0)
        return -EINVAL;
    if (load_one(idx, TAG_SERIAL, 0, "COM1", load_serial, pc->com1, err, errlen) < 0 ||
        load_one(idx, TAG_I8042, 0, "i8042", load_i8042, pc->i8042, err, errlen) < 0 ||
        load_one(idx, TAG_RTC, 0, "RTC", load_rtc, pc->rtc, err, errlen) < 0 ||
        load_one(idx, TAG_ACPI_PM, 0, "ACPI PM", load_pm, pc->pm, err, errlen) < 0)
        return -EINVAL;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "virtio-blk disk %d", i);
        if (pc->blk_pcis[i] && load_one(idx, TAG_VIRTIO_BLK, (uint32_t)i, name, load_vpci,
                                        pc->blk_pcis[i], err, errlen) < 0)
            return -EINVAL;
    }
    return 0;
}

/* After RAM is in place: look at every queue once (a notification the save did not see). */
void pc_state_resume(struct vm *vm)
{
    struct pc *pc = vm->platform;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (!pc->blk_pcis[i])
            continue;
        pthread_mutex_lock(&pc->blks[i]->vdev.lock);
        virtio_dev_kick_all_locked(&pc->blks[i]->vdev);
        pthread_mutex_unlock(&pc->blks[i]->vdev.lock);
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
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        if (pc->blks[i] && on)
            virtio_blk_quiesce(pc->blks[i]);
        else if (pc->blks[i])
            virtio_blk_thaw(pc->blks[i]);
    }
}
