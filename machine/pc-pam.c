/* The i440FX's PAM registers on the board (Intel 82441FX datasheet, 3.2.18 PAM0-PAM6): the host
 * bridge (hw/pci/host.c) reports each write that touches them, mm/pam.c decodes the segment modes,
 * and the accelerator remaps 0xc0000-0xfffff (machine/accel.h's mem_remap). Only a firmware boot
 * turns the decoding on (boot/firmware.c); otherwise the registers are storage and the window RAM. */
#include <stdio.h>
#include <string.h>

#include "machine/pc-int.h"

void pc_pam_changed(void *opaque, const uint8_t *regs)
{
    struct vm *vm = opaque;
    if (!vm->mem.pam.on || !pam_set(&vm->mem.pam, regs) || !vm->accel->mem_remap)
        return;
    int r = vm->accel->mem_remap(vm, PAM_BASE, PAM_SIZE);
    if (r < 0)
        fprintf(stderr, "vmon: %s: remapping 0xc0000-0xfffff after a PAM write: %s\n",
                vm->accel->name, strerror(-r));
}
