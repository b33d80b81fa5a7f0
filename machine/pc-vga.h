/* The board's VGA (hw/vga.h) for firmware boots: its ports, SeaVGABIOS as the ROM SeaBIOS runs
 * from fw_cfg's vgaroms/ (as QEMU's ISA VGA hands it over), and the text mirror to the console
 * when the firmware's own serial console is off. */
#ifndef VMON_MACHINE_PC_VGA_H
#define VMON_MACHINE_PC_VGA_H

#include <stdbool.h>
#include <stddef.h>

#include "hw/term-lines.h"
#include "machine/vm.h"

#define PC_VGA_BIOS "/usr/share/seabios/vgabios-isavga.bin"   /* Debian's seabios package */

struct fw_cfg;
struct pc_vga;

/* Whether the machine has a VGA: a firmware boot (no --kernel) without -vga none. */
bool pc_has_vga(const struct vm_config *c);
/* Whether SeaBIOS prints on COM1 itself (etc/sercon-port): with -nographic, as QEMU, or when there
 * is no VGA to mirror. Otherwise the VGA's text is mirrored to the console. */
bool pc_firmware_sercon(const struct vm_config *c);

/* Creates the VGA when pc_has_vga, its ROM in f and its mirror writing with write(opaque, ..).
 * 0 (*out NULL when there is none) or -errno with err set. */
int pc_vga_add(struct vm *vm, struct fw_cfg *f,
               enum term_aside (*write)(void *, const char *, size_t, unsigned),
               void *opaque, struct pc_vga **out, char *err, size_t errlen);
void pc_vga_free(struct pc_vga *p);
/* The device, for its snapshot section (machine/pc-state.c). */
struct vga *pc_vga_device(struct pc_vga *p);

#endif
