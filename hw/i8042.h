/* The 8042 keyboard controller, as much of it as a guest needs to probe it and to reset the PC,
 * and System Control Port A (0x92), the other way to its A20 and reset lines. */
#ifndef VMON_HW_I8042_H
#define VMON_HW_I8042_H

#include <stdbool.h>

#include "hw/link.h"
#include "hw/ps2-kbd.h"
#include "mm/bus.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_KBD_IRQ 1
#define SYSCTL_PORT_A 0x92

struct i8042;

/* irq: its keyboard line (IRQ 1); stop: where its reset line goes. */
struct i8042 *i8042_new(const struct irq_line *irq, const struct stop_link *stop);
void i8042_free(struct i8042 *k);
int i8042_map(struct i8042 *k, struct bus *pio);   /* ports 0x60, 0x64 and 0x92 */
/* Press (down) or release the keyboard's key named as QEMU names it; -EINVAL for no such key.
 * Any thread. */
int i8042_key(struct i8042 *k, const char *name, bool down);

/* Snapshots: save into the open section; load: 0, or -EINVAL for a bad section. */
struct vms_writer;
struct vms_reader;
void i8042_save(struct i8042 *d, struct vms_writer *w);
int i8042_load(struct i8042 *d, struct vms_reader *r);
/* The keyboard behind it, its own section (hw/ps2-kbd.h), under the controller's lock. */
void i8042_kbd_save(struct i8042 *d, struct vms_writer *w);
int i8042_kbd_load(struct i8042 *d, struct vms_reader *r);

#endif
