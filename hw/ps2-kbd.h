/* A PS/2 (AT MF2) keyboard behind the i8042 (IBM PS/2 Hardware Interface Technical Reference,
 * "Keyboard/Auxiliary Device Controller" and "Keyboards"): its commands (reset, identify, enable
 * and disable scanning, LEDs, typematic rate, scan-code set), and keys pressed from the host
 * (the monitor's sendkey) as scan-code set 2 bytes, or set 1 when the controller translates
 * (command byte bit 6, as BIOSes and Linux leave it). Keys are named as QEMU's QKeyCode names
 * them ("a", "ret", "ctrl", "alt", "delete", "f1", "up", ...). Not thread-safe: the i8042's
 * lock covers it. */
#ifndef VMON_HW_PS2_KBD_H
#define VMON_HW_PS2_KBD_H

#include <stdbool.h>
#include <stdint.h>

#define PS2_KBD_QUEUE 64

struct ps2_key {
    const char *name;
    uint8_t set1, set2;
    bool e0;                   /* an extended key: both sets put 0xe0 before its codes */
};

struct ps2_kbd {
    uint8_t q[PS2_KBD_QUEUE];  /* bytes for the controller, oldest first */
    int head, count;
    uint8_t pending;           /* a command waiting for its argument byte, or 0 */
    uint8_t set;               /* scan-code set (2, or 1/3 as the guest selects) */
    uint8_t leds;
    bool scanning;             /* enabled: keys produce codes */
};

void ps2_kbd_reset(struct ps2_kbd *k);
/* A byte the guest sends the keyboard (port 0x60 with no controller command pending). */
void ps2_kbd_write(struct ps2_kbd *k, uint8_t b);
/* A key goes down or up; translate: the controller turns set 2 into set 1. */
void ps2_kbd_key(struct ps2_kbd *k, const struct ps2_key *key, bool down, bool translate);
/* The next byte for the controller; false when none. */
bool ps2_kbd_pop(struct ps2_kbd *k, uint8_t *b);
const struct ps2_key *ps2_key_by_name(const char *name);
/* Snapshots: the queue (oldest byte first), the pending command, scan-code set, LEDs, scanning.
 * ps2_kbd_load refuses what a keyboard cannot hold (a longer queue, set 0 or 4+) with -EINVAL and
 * leaves k as it was; it reads to the reader's end. The caller holds the i8042's lock. */
struct vms_writer;
struct vms_reader;
void ps2_kbd_save(const struct ps2_kbd *k, struct vms_writer *w);
int ps2_kbd_load(struct ps2_kbd *k, struct vms_reader *r);

#endif
