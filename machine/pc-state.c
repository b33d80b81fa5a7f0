/* The board's part of a snapshot (machine/snapshot.h): which device saves which section, in the order
 * machine/pc.c registers them. Each device encodes its own state (each hw/ file's _save / _load); a section
 * a device refuses, or one missing for a device this board has, fails the restore with its name. */
#include "machine/pc-int.h"

#include <errno.h>
#include <stdio.h>

#include "hw/serial.h"
#include "machine/pc-soft.h"
#include "migration/vmstate.h"

#define TAG_SERIAL VMS_TAG('U', 'A', 'R', 'T')

int pc_save_state(struct vm *vm, struct vms_writer *w)
{
    struct pc *pc = vm->platform;
    vms_begin(w, TAG_SERIAL, 0);
    serial_save(pc->com1, w);
    vms_end(w);
    if (pc->soft)
        pc_soft_save(pc->soft, w);
    else if (vm->accel->save_irqchip && vm->accel->save_irqchip(vm, w) < 0)
        return -EIO;
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

int pc_load_state(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    struct pc *pc = vm->platform;
    if (pc->soft && pc_soft_load(pc->soft, idx, err, errlen) < 0)
        return -EINVAL;
    if (!pc->soft && vm->accel->load_irqchip && vm->accel->load_irqchip(vm, idx, err, errlen) < 0)
        return -EINVAL;
    return load_one(idx, TAG_SERIAL, 0, "COM1", load_serial, pc->com1, err, errlen);
}
