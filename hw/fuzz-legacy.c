/* libFuzzer target over the legacy PC devices a firmware and boot loader drive: the i8042 with
 * its PS/2 keyboard (controller commands, keyboard commands and their arguments, keys pressed
 * between them) and the VGA (every register port, text memory, the mirror reading whatever
 * geometry the registers describe). Each 4-byte op: u8 kind, u8 port or key index, u16 value;
 * the rest of the input fills the VGA window 0xa0000-0xbffff. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/i8042.h"
#include "hw/vga.h"
#include "mm/bus.h"
#include "mm/memory.h"

#define RAM (1u << 20)
#define MAX_OPS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void ignore_irq(void *opaque, int level)
{
    (void)opaque, (void)level;
}

/* The terminal's answer to the mirror: the fuzzer's op byte picks it (0: write, 1: later, 2: as a
 * new line); a new line is asked at most once per step, as a terminal would. */
static enum term_aside answer_text(void *opaque, const char *buf, size_t n, unsigned flags)
{
    (void)buf, (void)n;
    unsigned a = *(const uint8_t *)opaque % 3;
    if (a == 2 && !(flags & TERM_ASIDE_CONT))
        a = 0;
    return a == 1 && (flags & TERM_ASIDE_NOW) ? TERM_ASIDE_WRITE : (enum term_aside)a;
}

static const char *const keys[] = { "a", "shift", "ret", "delete", "f12", "kp_enter", "nosuchkey" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    size_t nops = len / 4 < MAX_OPS ? len / 4 : MAX_OPS;
    struct guest_mem m;
    if (guest_mem_init(&m, RAM) < 0)
        return 0;
    size_t rest = len - nops * 4 < 0x20000 ? len - nops * 4 : 0x20000;
    guest_mem_write(&m, 0xa0000, data + nops * 4, rest);
    struct irq_line irq = { ignore_irq, NULL };
    struct stop_link stop = { NULL, NULL };
    uint8_t answer = 0;
    struct vga_link vl = { .mem = &m, .write = answer_text, .opaque = &answer };
    struct i8042 *k = i8042_new(&irq, &stop);
    struct vga *v = vga_new(&vl);
    struct bus pio;
    bus_init(&pio, "pio");
    if (!k || !v || i8042_map(k, &pio) < 0)
        goto out;
    for (size_t i = 0; i < nops; i++) {
        const uint8_t *op = data + i * 4;
        uint16_t val = (uint16_t)(op[2] | op[3] << 8);
        uint64_t ignored;
        switch (op[0] % 7) {
        case 0: bus_write(&pio, op[1] & 1 ? 0x64 : 0x60, val & 0xff, 1); break;
        case 1: bus_read(&pio, op[1] & 1 ? 0x64 : 0x60, 1, &ignored); break;
        case 2: i8042_key(k, keys[op[1] % (sizeof(keys) / sizeof(keys[0]))], val & 1); break;
        case 3: vga_io_ops.write(v, op[1] % (VGA_IO_LEN + 4), val, 1u << (op[0] >> 6)); break;
        case 4: (void)vga_io_ops.read(v, op[1] % (VGA_IO_LEN + 4), 1u << (op[0] >> 6)); break;
        case 5: guest_mem_write(&m, 0xb8000 + (val & 0x7fff), &op[1], 1); break;
        default: answer = op[1]; vga_mirror_step(v, op[2] & 1 ? TERM_ASIDE_NOW : 0); break;
        }
    }
    vga_mirror_step(v, TERM_ASIDE_NOW);
out:
    vga_free(v);
    i8042_free(k);
    guest_mem_destroy(&m);
    return 0;
}
