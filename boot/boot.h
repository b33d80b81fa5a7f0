/* Kernel loaders: put a kernel, initrd and cmdline into guest RAM and describe the machine to it. */
#ifndef VMON_BOOT_BOOT_H
#define VMON_BOOT_BOOT_H

#include <stddef.h>

struct vm;

/* Load vm->cfg.kernel (bzImage, ELF vmlinux with or without a PVH note, or a multiboot v1 kernel),
 * vm->cfg.initrd and vm->cfg.cmdline into vm->mem; write the e820 map, MP table and ACPI tables for
 * vm->ncpus CPUs; set vm->boot_state to the state vCPU 0 starts in.
 * Returns 0, or -1 with a one-line reason in err ("<file>: <why>"): the caller exits 2. */
int boot_load(struct vm *vm, char *err, size_t errlen);

/* Firmware boot, when there is no kernel: map vm->cfg.bios (or BOOT_DEFAULT_BIOS) as ROM ending at
 * 4 GiB, copy its last 128 KiB to 0xe0000-0xfffff (what the i440FX's PAM shows there at reset) and
 * start vCPU 0 at the reset vector. 0, or -1 with "<file>: <why>" in err (the caller exits 2). */
#define BOOT_DEFAULT_BIOS "/usr/share/seabios/bios-256k.bin"
int firmware_load(struct vm *vm, char *err, size_t errlen);
/* After a machine reset: the BIOS's low copy restored from the ROM, vCPU 0 at the reset vector. */
int firmware_reset(struct vm *vm, char *err, size_t errlen);

#endif
