/* The board's VGA: hw/vga.c on ports 0x3b0-0x3df, its frame buffer the guest RAM at 0xa0000 (as
 * the e820 map already reserves it), the ISA VGA BIOS handed to SeaBIOS as fw_cfg file
 * vgaroms/vgabios.bin (SeaBIOS runs the vgaroms/ files as video option ROMs, QEMU's docs/specs/
 * fw_cfg.rst), and the mirror's timer on the event loop. */
#include "machine/pc-vga.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/fw_cfg.h"
#include "hw/vga.h"
#include "mm/bus.h"
#include "util/clock.h"

#define VGA_BIOS_MAX (256u << 10)

struct pc_vga {
    struct plat_clock clock;
    struct vga *vga;
};

bool pc_has_vga(const struct vm_config *c)
{
    return !c->kernel && !c->no_vga;
}

bool pc_firmware_sercon(const struct vm_config *c)
{
    return c->nographic || !pc_has_vga(c);
}

static int add_rom(struct fw_cfg *f, char *err, size_t errlen)
{
    FILE *fp = fopen(PC_VGA_BIOS, "rb");
    if (!fp) {
        int r = -errno;
        snprintf(err, errlen, "VGA BIOS %s: %s (install seabios, or use -vga none)", PC_VGA_BIOS,
                 strerror(errno));
        return r;
    }
    uint8_t *buf = malloc(VGA_BIOS_MAX);
    size_t n = buf ? fread(buf, 1, VGA_BIOS_MAX, fp) : 0;
    fclose(fp);
    int r = !buf ? -ENOMEM : n == 0 || n == VGA_BIOS_MAX ? -EINVAL
                                                       : fw_cfg_add_file(f, "vgaroms/vgabios.bin", buf, n);
    free(buf);
    if (r < 0)
        snprintf(err, errlen, "VGA BIOS %s: %s", PC_VGA_BIOS,
                 r == -EINVAL ? "empty or larger than 256 KiB" : strerror(-r));
    return r;
}

int pc_vga_add(struct vm *vm, struct fw_cfg *f,
               enum term_aside (*write)(void *, const char *, size_t, unsigned),
               void *opaque, struct pc_vga **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!pc_has_vga(&vm->cfg))
        return 0;
    struct pc_vga *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "VGA: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    *out = p;
    p->clock = (struct plat_clock){ &evloop_clock_ops, vm->loop };
    bool mirror = !pc_firmware_sercon(&vm->cfg);
    struct vga_link link = { .mem = &vm->mem, .clock = mirror ? &p->clock : NULL,
                             .write = mirror ? write : NULL, .opaque = opaque };
    int r;
    if (!(p->vga = vga_new(&link))) {
        snprintf(err, errlen, "VGA: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    if ((r = add_rom(f, err, errlen)) < 0)
        return r;
    if ((r = bus_map(&vm->pio, VGA_IO_BASE, VGA_IO_LEN, &vga_io_ops, p->vga, "vga")) < 0)
        snprintf(err, errlen, "VGA ports: %s", strerror(-r));
    return r;
}

void pc_vga_free(struct pc_vga *p)
{
    if (!p)
        return;
    vga_free(p->vga);
    free(p);
}

struct vga *pc_vga_device(struct pc_vga *p)
{
    return p->vga;
}
