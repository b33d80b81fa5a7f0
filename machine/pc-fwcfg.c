/* The PC board's fw_cfg contents (QEMU docs/specs/fw_cfg.rst; the files as QEMU's hw/i386 pc machine
 * names them and SeaBIOS's src/fw/paravirt.c reads them):
 *   RAM_SIZE, NB_CPUS, MAX_CPUS, NOGRAPHIC; KERNEL/INITRD/CMDLINE items for a --kernel run
 *   the DMA interface over guest RAM (hw/fw_cfg-dma.c)
 *   etc/e820         the memory map boot/e820.c builds: { le64 address, le64 length, le32 type }
 *   etc/sercon-port  le16 0x3f8: SeaBIOS's text console on COM1, with -nographic or no VGA
 *                    (else the VGA's text is mirrored: machine/pc-vga.h)
 *   bootorder        -boot's drive letters as OpenFirmware paths, one a line (SeaBIOS src/boot.c
 *                    matches "/pci@i0cf8/ * /drive@CHANNEL/disk@UNIT" for IDE): c the first IDE disk,
 *                    d the first IDE CD-ROM; empty without -boot (SeaBIOS's default order)
 *   etc/acpi/tables, etc/acpi/rsdp, etc/table-loader   vmon's ACPI tables for the firmware to link
 *                    and install (boot/acpi-loader.c), in a firmware boot only: a --kernel boot
 *                    has them written into RAM by boot/boot.c
 *   etc/smbios/smbios-anchor, etc/smbios/smbios-tables   vmon's SMBIOS structures (boot/smbios.c:
 *                    system, chassis, a processor per socket, the RAM), in a firmware boot only */
#include "machine/pc-fwcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu-model.h"
#include "boot/acpi-loader.h"
#include "boot/loader.h"
#include "boot/smbios.h"
#include "hw/fw_cfg.h"
#include "hw/pci/piix4-pm.h"
#include "hw/serial.h"
#include "machine/pc-vga.h"
#include "machine/vm.h"
#include "mm/memory.h"

#define E820_FILE_MAX 16

static int add_e820_file(struct vm *vm, struct fw_cfg *f)
{
    struct e820_entry map[E820_FILE_MAX];
    uint8_t buf[E820_FILE_MAX * 20];
    int n = e820_build(&vm->mem, map, E820_FILE_MAX);
    for (int i = 0; i < n; i++) {
        uint64_t fields[2] = { map[i].addr, map[i].size };
        uint8_t *e = buf + i * 20;
        for (int k = 0; k < 16; k++)
            e[k] = (uint8_t)(fields[k / 8] >> (8 * (k % 8)));
        for (int k = 0; k < 4; k++)
            e[16 + k] = (uint8_t)(map[i].type >> (8 * k));
    }
    return fw_cfg_add_file(f, "etc/e820", buf, (size_t)n * 20);
}

/* The IDE index -boot's letter names: the first disk (c) or CD-ROM (d); -1: none. */
static int boot_drive(const struct vm_config *c, char letter)
{
    for (int i = 0; i < VM_MAX_IDE; i++)
        if (c->ide[i].attached && c->ide[i].cdrom == (letter == 'd') && (letter == 'c' || letter == 'd'))
            return i;
    return -1;
}

static int add_firmware_files(const struct vm_config *c, struct fw_cfg *f)
{
    uint8_t port[2] = { SERIAL_COM1_BASE & 0xff, SERIAL_COM1_BASE >> 8 };
    return pc_firmware_sercon(c) ? fw_cfg_add_file(f, "etc/sercon-port", port, sizeof(port)) : 0;
}

int pc_fw_cfg_bootorder(const struct vm_config *c, struct fw_cfg *f, const int *nic_slots)
{
    char order[16 * 48] = "";
    size_t n = 0;
    for (const char *p = c->boot_order; *p && n < sizeof(order) - 48; p++) {
        int i = boot_drive(c, *p), k = *p - 'n';
        if (i >= 0)
            n += (size_t)snprintf(order + n, sizeof(order) - n, "/pci@i0cf8/ide@1,1/drive@%d/disk@%d\n",
                                  i / 2, i % 2);
        else if (k >= 0 && k < c->nnics && nic_slots[k] >= 0)   /* n, o, p: the NICs' boot ROMs */
            n += (size_t)snprintf(order + n, sizeof(order) - n, "/pci@i0cf8/ethernet@%x\n", nic_slots[k]);
    }
    return fw_cfg_add_file(f, "bootorder", order, n);
}

/* The ACPI tables for the CPUs and virtio-mmio drives boot/boot.c's direct boot describes. */
static int add_acpi_files(struct vm *vm, struct fw_cfg *f)
{
    struct acpi_fw_files *a = malloc(sizeof(*a));
    uint8_t ids[VM_MAX_CPUS];
    int nmmio = 0;
    if (!a)
        return -ENOMEM;
    for (int i = 0; i < vm->ncpus; i++)
        ids[i] = (uint8_t)vm->vcpus[i].apic_id;
    for (int i = 0; i < vm->cfg.ndrives; i++)
        nmmio += vm->cfg.drives[i].mmio;
    /* The PM block where the board's PIIX4 function starts it (and SeaBIOS puts it again). */
    const struct acpi_board board = { .pm_base = PIIX4_PM_FIRMWARE_BASE, .vga = pc_has_vga(&vm->cfg) };
    int r = acpi_fw_build(a, ids, vm->ncpus, nmmio, &board);
    if (r == 0)
        r = fw_cfg_add_file(f, ACPI_FW_TABLES, a->tables, a->tables_len);
    if (r == 0)
        r = fw_cfg_add_file(f, ACPI_FW_RSDP, a->rsdp, sizeof(a->rsdp));
    if (r == 0)
        r = fw_cfg_add_file(f, ACPI_FW_LOADER, a->loader, a->loader_len);
    free(a);
    return r;
}

/* The SMBIOS structures: the -smp topology, the CPU model's leaf 1 signature (and EDX features when
 * the model lists them: max and host take the accelerator's, known only to it), the RAM as
 * guest_mem_init splits it around the PCI hole; the UUID is all zeros, as QEMU's without -uuid. */
static int add_smbios_files(struct vm *vm, struct fw_cfg *f)
{
    const struct cpu_model *m = &vm->cfg.cpu_model;
    int edx = cpu_word_of(1, 0, CPUID_EDX);
    uint64_t ram = vm->mem.ram_size;
    struct smbios_board b = {
        .sockets = vm->topo.sockets, .cores = vm->topo.cores, .threads = vm->topo.threads,
        .cpu_signature = cpu_model_signature(m),
        .cpu_features = !m->all && edx >= 0 ? m->words[edx] : 0,
        .ram_below_4g = ram < PCI_HOLE_START ? ram : PCI_HOLE_START,
        .ram_above_4g = ram < PCI_HOLE_START ? 0 : ram - PCI_HOLE_START,
    };
    struct smbios_fw_files *s = malloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    int r = smbios_build(s, &b);
    if (r == 0)
        r = fw_cfg_add_file(f, SMBIOS_FW_TABLES, s->tables, s->tables_len);
    if (r == 0)
        r = fw_cfg_add_file(f, SMBIOS_FW_ANCHOR, s->anchor, sizeof(s->anchor));
    free(s);
    return r;
}

int pc_fw_cfg_setup(struct vm *vm, struct fw_cfg *f, char *err, size_t errlen)
{
    const struct vm_config *c = &vm->cfg;
    uint64_t size = 0;
    int r;
    if ((r = fw_cfg_enable_dma(f, &vm->mem)) < 0 ||
        (r = fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, vm->mem.ram_size)) < 0 ||
        (r = fw_cfg_add_u16(f, FW_CFG_NB_CPUS, (uint16_t)vm->ncpus)) < 0 ||
        (r = fw_cfg_add_u16(f, FW_CFG_MAX_CPUS, (uint16_t)vm->ncpus)) < 0 ||
        (r = fw_cfg_add_u16(f, FW_CFG_NOGRAPHIC, pc_firmware_sercon(c))) < 0 ||
        (r = add_e820_file(vm, f)) < 0 || (r = add_firmware_files(c, f)) < 0)
        goto fail;
    if (!c->kernel && ((r = add_acpi_files(vm, f)) < 0 || (r = add_smbios_files(vm, f)) < 0))
        goto fail;
    if (c->kernel) {
        if ((r = fw_cfg_add_host_file(f, FW_CFG_KERNEL_DATA, c->kernel, &size)) < 0 ||
            (r = fw_cfg_add_u32(f, FW_CFG_KERNEL_SIZE, (uint32_t)size)) < 0)
            goto fail;
    }
    if (c->initrd) {
        if ((r = fw_cfg_add_host_file(f, FW_CFG_INITRD_DATA, c->initrd, &size)) < 0 ||
            (r = fw_cfg_add_u32(f, FW_CFG_INITRD_SIZE, (uint32_t)size)) < 0)
            goto fail;
    }
    const char *cmdline = c->cmdline ? c->cmdline : "";
    size_t len = strlen(cmdline) + 1;      /* with its NUL, as QEMU stores it */
    if ((r = fw_cfg_add_bytes(f, FW_CFG_CMDLINE_DATA, cmdline, len)) < 0 ||
        (r = fw_cfg_add_u32(f, FW_CFG_CMDLINE_SIZE, (uint32_t)len)) < 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "fw_cfg: %s", strerror(-r));
    return r;
}
