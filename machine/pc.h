/* vmon's PC machine: the devices every guest sees, registered in one place. */
#ifndef VMON_MACHINE_PC_H
#define VMON_MACHINE_PC_H

#include <stddef.h>

struct vm;

/* Create and map the devices (and, when vm->accel has no in-kernel irqchip, the interrupt
 * controllers and timers); 0 or -errno with a one-line reason in err. */
int pc_init(struct vm *vm, char *err, size_t errlen);
void pc_destroy(struct vm *vm);

#endif
