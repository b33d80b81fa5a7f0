/* The PC board's PIIX3 IDE function and its drives (machine/pc-ide.c). */
#ifndef VMON_MACHINE_PC_IDE_H
#define VMON_MACHINE_PC_IDE_H

#include "hw/ide/ide.h"
#include "hw/pci/host.h"
#include "machine/vm.h"

struct pc_ide;

/* The controller at 00:01.1 with vm->cfg.ide's drives opened, BAR4 at io_base (16 bytes), the
 * legacy ports mapped, channel c on irq[c]. NULL with a one-line reason in err. */
struct pc_ide *pc_ide_new(struct vm *vm, struct pci_host *pci, const struct irq_line irq[2],
                          uint32_t io_base, char *err, size_t errlen);
void pc_ide_reset(struct pc_ide *p);
/* A live migration's hand-over of the images (vm_board_ops' disks_handover): giving flushes and
 * closes them, taking opens them for real. 0, or -EIO with err set. */
int pc_ide_handover(struct pc_ide *p, const struct vm *vm, bool giving, char *err, size_t errlen);
/* Whether any drive has an image. */
bool pc_ide_has_media(const struct pc_ide *p);
/* Drive i's image (cfg.ide[i]), or NULL: savevm's disks. */
struct blk *pc_ide_image(struct pc_ide *p, int i);
/* The controller (its snapshot: hw/ide/ide.h ide_save / ide_load). */
struct ide_ctrl *pc_ide_ctrl(struct pc_ide *p);
void pc_ide_free(struct pc_ide *p);

#endif
