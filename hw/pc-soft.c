/* Placeholder until the userspace PC platform lands (issue 4). */
#include <errno.h>
#include "hw/pc-soft.h"
int pc_soft_platform_init(struct vm *vm) { (void)vm; return -ENOSYS; }
void pc_soft_platform_destroy(struct vm *vm) { (void)vm; }
void pc_soft_set_irq(struct vm *vm, unsigned gsi, int level) { (void)vm; (void)gsi; (void)level; }
