/* The PS/2 keyboard (hw/ps2-kbd.h): commands as the IBM PS/2 reference lists them, every one
 * answered with ACK (0xfa), and the key table with each key's scan codes in set 1 (what the
 * controller's translation delivers) and set 2 (what the keyboard sends). */
#include "hw/ps2-kbd.h"

#include <errno.h>
#include <string.h>

#include "migration/vmstate.h"

#define ACK 0xfa
#define BAT_OK 0xaa

static const struct ps2_key keys[] = {
    { "esc", 0x01, 0x76, false }, { "1", 0x02, 0x16, false }, { "2", 0x03, 0x1e, false },
    { "3", 0x04, 0x26, false }, { "4", 0x05, 0x25, false }, { "5", 0x06, 0x2e, false },
    { "6", 0x07, 0x36, false }, { "7", 0x08, 0x3d, false }, { "8", 0x09, 0x3e, false },
    { "9", 0x0a, 0x46, false }, { "0", 0x0b, 0x45, false }, { "minus", 0x0c, 0x4e, false },
    { "equal", 0x0d, 0x55, false }, { "backspace", 0x0e, 0x66, false }, { "tab", 0x0f, 0x0d, false },
    { "q", 0x10, 0x15, false }, { "w", 0x11, 0x1d, false }, { "e", 0x12, 0x24, false },
    { "r", 0x13, 0x2d, false }, { "t", 0x14, 0x2c, false }, { "y", 0x15, 0x35, false },
    { "u", 0x16, 0x3c, false }, { "i", 0x17, 0x43, false }, { "o", 0x18, 0x44, false },
    { "p", 0x19, 0x4d, false }, { "bracket_left", 0x1a, 0x54, false },
    { "bracket_right", 0x1b, 0x5b, false }, { "ret", 0x1c, 0x5a, false }, { "ctrl", 0x1d, 0x14, false },
    { "a", 0x1e, 0x1c, false }, { "s", 0x1f, 0x1b, false }, { "d", 0x20, 0x23, false },
    { "f", 0x21, 0x2b, false }, { "g", 0x22, 0x34, false }, { "h", 0x23, 0x33, false },
    { "j", 0x24, 0x3b, false }, { "k", 0x25, 0x42, false }, { "l", 0x26, 0x4b, false },
    { "semicolon", 0x27, 0x4c, false }, { "apostrophe", 0x28, 0x52, false },
    { "grave_accent", 0x29, 0x0e, false }, { "shift", 0x2a, 0x12, false },
    { "backslash", 0x2b, 0x5d, false }, { "z", 0x2c, 0x1a, false }, { "x", 0x2d, 0x22, false },
    { "c", 0x2e, 0x21, false }, { "v", 0x2f, 0x2a, false }, { "b", 0x30, 0x32, false },
    { "n", 0x31, 0x31, false }, { "m", 0x32, 0x3a, false }, { "comma", 0x33, 0x41, false },
    { "dot", 0x34, 0x49, false }, { "slash", 0x35, 0x4a, false }, { "shift_r", 0x36, 0x59, false },
    { "kp_multiply", 0x37, 0x7c, false }, { "alt", 0x38, 0x11, false }, { "spc", 0x39, 0x29, false },
    { "caps_lock", 0x3a, 0x58, false }, { "f1", 0x3b, 0x05, false }, { "f2", 0x3c, 0x06, false },
    { "f3", 0x3d, 0x04, false }, { "f4", 0x3e, 0x0c, false }, { "f5", 0x3f, 0x03, false },
    { "f6", 0x40, 0x0b, false }, { "f7", 0x41, 0x83, false }, { "f8", 0x42, 0x0a, false },
    { "f9", 0x43, 0x01, false }, { "f10", 0x44, 0x09, false }, { "num_lock", 0x45, 0x77, false },
    { "scroll_lock", 0x46, 0x7e, false }, { "kp_7", 0x47, 0x6c, false }, { "kp_8", 0x48, 0x75, false },
    { "kp_9", 0x49, 0x7d, false }, { "kp_subtract", 0x4a, 0x7b, false }, { "kp_4", 0x4b, 0x6b, false },
    { "kp_5", 0x4c, 0x73, false }, { "kp_6", 0x4d, 0x74, false }, { "kp_add", 0x4e, 0x79, false },
    { "kp_1", 0x4f, 0x69, false }, { "kp_2", 0x50, 0x72, false }, { "kp_3", 0x51, 0x7a, false },
    { "kp_0", 0x52, 0x70, false }, { "kp_decimal", 0x53, 0x71, false }, { "f11", 0x57, 0x78, false },
    { "f12", 0x58, 0x07, false }, { "kp_enter", 0x1c, 0x5a, true }, { "ctrl_r", 0x1d, 0x14, true },
    { "kp_divide", 0x35, 0x4a, true }, { "alt_r", 0x38, 0x11, true }, { "home", 0x47, 0x6c, true },
    { "up", 0x48, 0x75, true }, { "pgup", 0x49, 0x7d, true }, { "left", 0x4b, 0x6b, true },
    { "right", 0x4d, 0x74, true }, { "end", 0x4f, 0x69, true }, { "down", 0x50, 0x72, true },
    { "pgdn", 0x51, 0x7a, true }, { "insert", 0x52, 0x70, true }, { "delete", 0x53, 0x71, true },
    { "meta_l", 0x5b, 0x1f, true }, { "meta_r", 0x5c, 0x27, true }, { "menu", 0x5d, 0x2f, true },
};

const struct ps2_key *ps2_key_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

static void push(struct ps2_kbd *k, uint8_t b)
{
    if (k->count < PS2_KBD_QUEUE) {      /* a full buffer drops keys, as the hardware's does */
        k->q[(k->head + k->count) % PS2_KBD_QUEUE] = b;
        k->count++;
    }
}

bool ps2_kbd_pop(struct ps2_kbd *k, uint8_t *b)
{
    if (!k->count)
        return false;
    *b = k->q[k->head];
    k->head = (k->head + 1) % PS2_KBD_QUEUE;
    k->count--;
    return true;
}

void ps2_kbd_reset(struct ps2_kbd *k)
{
    memset(k, 0, sizeof(*k));
    k->set = 2;
    k->scanning = true;
}

/* The argument byte of a command that takes one (LEDs, typematic, scan-code set). */
static void argument(struct ps2_kbd *k, uint8_t cmd, uint8_t b)
{
    push(k, ACK);
    if (cmd == 0xed)
        k->leds = b & 7;
    else if (cmd == 0xf0 && b == 0)
        push(k, k->set);                     /* 0: report the current set */
    else if (cmd == 0xf0 && b <= 3)
        k->set = b;
}

void ps2_kbd_write(struct ps2_kbd *k, uint8_t b)
{
    uint8_t cmd = k->pending;
    k->pending = 0;
    if (cmd && b < 0xed) {                   /* the argument (a command byte starts a new one) */
        argument(k, cmd, b);
        return;
    }
    switch (b) {
    case 0xee: push(k, 0xee); return;        /* echo */
    case 0xff:                               /* reset: ACK, then the self-test result */
        ps2_kbd_reset(k);
        push(k, ACK);
        push(k, BAT_OK);
        return;
    case 0xed: case 0xf0: case 0xf3: k->pending = b; break;
    case 0xf2: push(k, ACK); push(k, 0xab); push(k, 0x83); return;   /* identify: MF2 */
    case 0xf4: k->scanning = true; break;
    case 0xf5: k->scanning = false; k->set = 2; break;   /* disable, and defaults */
    case 0xf6: k->set = 2; break;                        /* defaults */
    default: break;                                      /* 0xf7-0xfe: accepted */
    }
    push(k, ACK);
}

void ps2_kbd_key(struct ps2_kbd *k, const struct ps2_key *key, bool down, bool translate)
{
    if (!k->scanning || !key)
        return;
    if (key->e0)
        push(k, 0xe0);
    if (translate || k->set == 1)
        push(k, down ? key->set1 : (uint8_t)(key->set1 | 0x80));
    else {
        if (!down)
            push(k, 0xf0);
        push(k, key->set2);
    }
}

void ps2_kbd_save(const struct ps2_kbd *k, struct vms_writer *w)
{
    vms_put_u8(w, (uint8_t)k->count);
    for (int i = 0; i < k->count; i++)
        vms_put_u8(w, k->q[(k->head + i) % PS2_KBD_QUEUE]);
    uint8_t b[] = { k->pending, k->set, k->leds, k->scanning };
    vms_put_bytes(w, b, sizeof(b));
}

int ps2_kbd_load(struct ps2_kbd *k, struct vms_reader *r)
{
    uint8_t n = vms_get_u8(r), q[PS2_KBD_QUEUE], b[4];
    if (n > PS2_KBD_QUEUE)
        return -EINVAL;
    vms_get_bytes(r, q, n);
    vms_get_bytes(r, b, sizeof(b));
    if (vms_reader_done(r) < 0 || b[1] < 1 || b[1] > 3 || b[3] > 1)
        return -EINVAL;
    memcpy(k->q, q, n);
    k->head = 0;
    k->count = n;
    k->pending = b[0];
    k->set = b[1];
    k->leds = b[2];
    k->scanning = b[3];
    return 0;
}
