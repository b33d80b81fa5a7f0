/* What the PC board tells firmware and test kernels through fw_cfg (hw/fw_cfg.h). */
#ifndef VMON_MACHINE_PC_FWCFG_H
#define VMON_MACHINE_PC_FWCFG_H

#include <stddef.h>

struct vm;
struct fw_cfg;

/* Fill f for vm: RAM size, CPU count, the kernel/initrd/cmdline items, and the files SeaBIOS reads.
 * 0, or -errno with a one-line reason in err. */
int pc_fw_cfg_setup(struct vm *vm, struct fw_cfg *f, char *err, size_t errlen);

#endif
