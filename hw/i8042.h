/* The 8042 keyboard controller, as much of it as a guest needs to probe it and to reset the PC. */
#ifndef VMON_HW_I8042_H
#define VMON_HW_I8042_H

#include "mm/bus.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_KBD_IRQ 1

struct vm;
struct i8042;

struct i8042 *i8042_new(struct vm *vm, void (*set_irq)(struct vm *, unsigned, int));
void i8042_free(struct i8042 *k);
int i8042_map(struct i8042 *k);   /* ports 0x60 and 0x64 on vm->pio */

#endif
