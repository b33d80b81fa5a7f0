/* The PIIX3 IDE controller's PCI function (hw/ide/piix.c). */
#ifndef VMON_HW_IDE_PIIX_H
#define VMON_HW_IDE_PIIX_H

#include "hw/ide/ide.h"

/* Fill c->pci: ids, class, BAR4 on ide_bm_ops; the board plugs it at 00:01.1. */
void ide_piix_init(struct ide_ctrl *c);

#endif
