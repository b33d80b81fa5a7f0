/* The board's side of an accelerator's eventfd paths (machine/accel.h: ioeventfd, irqfd): a
 * doorbell_link for devices (hw/link.h) and INTx lines that raise their GSI through an irqfd. */
#ifndef VMON_MACHINE_EVENTFD_H
#define VMON_MACHINE_EVENTFD_H

#include "hw/link.h"
#include "machine/vm.h"

/* What the accelerator offers for device doorbells (watch is NULL when nothing). */
struct doorbell_link vm_doorbell_link(struct vm *vm);

/* A level-triggered line on GSI gsi through the accelerator's irqfd, its resample eventfd read on
 * vm->loop; NULL (errno set) where the accelerator has no irqfd for it. */
struct irqfd_line *irqfd_line_new(struct vm *vm, unsigned gsi);
struct irq_line irqfd_line_get(struct irqfd_line *f);
void irqfd_line_free(struct irqfd_line *f);

#endif
