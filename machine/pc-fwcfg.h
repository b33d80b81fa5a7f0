/* What the PC board tells firmware and test kernels through fw_cfg (hw/fw_cfg.h). */
#ifndef VMON_MACHINE_PC_FWCFG_H
#define VMON_MACHINE_PC_FWCFG_H

#include <stddef.h>

struct vm;
struct vm_config;
struct fw_cfg;

/* Fill f for vm: RAM size, CPU count, the kernel/initrd/cmdline items, and the files SeaBIOS reads.
 * 0, or -errno with a one-line reason in err. */
int pc_fw_cfg_setup(struct vm *vm, struct fw_cfg *f, char *err, size_t errlen);
/* The "bootorder" file for -boot's letters, once the devices are placed: c and d the IDE disk and
 * CD-ROM, n, o, p the first three NICs (nic_slots: each NIC's PCI slot, -1 without a boot ROM). */
int pc_fw_cfg_bootorder(const struct vm_config *c, struct fw_cfg *f, const int *nic_slots);

#endif
