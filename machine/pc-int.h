/* The board's state, shared by machine/pc.c (which builds it) and machine/pc-state.c (which saves and
 * loads its devices for a snapshot). Not for other folders. */
#ifndef VMON_MACHINE_PC_INT_H
#define VMON_MACHINE_PC_INT_H

#include <stddef.h>

#include "hw/link.h"
#include "hw/pci/piix4-pm.h"
#include "machine/pc-rom.h"
#include "machine/vm.h"

struct vms_writer;
struct vms_index;

#define PC_GSIS 24             /* ISA IRQs 0-15, then IOAPIC-only GSIs 16-23 */

/* What each device's irq_line carries: the board and the line's number. */
struct pc_irq {
    struct pc *pc;
    unsigned gsi;
};

struct pc {
    struct vm *vm;
    struct pc_irq irqs[PC_GSIS];
    struct irqfd_line *irqfds[PC_GSIS];   /* PCI INTx through the accelerator's irqfd, where offered */
    struct msi_routes *msi_routes;        /* MSI-X vectors through irqfds, where offered */
    struct stop_link stop;     /* devices' stop requests, to vm_request_stop */
    struct stdio_chr *console;
    struct serial *com1;
    struct i8042 *i8042;
    struct rtc *rtc;
    struct acpi_pm *pm;
    struct fw_cfg *fw_cfg;
    struct pc_testdev *testdev;
    struct pc_soft *soft;      /* the userspace platform, when the accelerator has no irqchip */
    struct pci_host *pci;
    struct pc_ide *ide;        /* PIIX3 IDE at 00:01.1, or NULL */
    struct piix4_pm pm_fn;     /* PIIX4 PM at 00:01.3 (firmware boots): where the ACPI PM block is */
    unsigned next_slot;        /* the next free PCI slot */
    uint32_t next_mmio, next_io;   /* where the next BARs go */
    struct virtio_blk *blks[VM_MAX_DRIVES];
    struct virtio_pci *blk_pcis[VM_MAX_DRIVES];
    struct pc_vga *vga;        /* firmware boots: machine/pc-vga.c */
    struct pc_vdevs *vdevs;    /* rng, virtio-serial, vsock (machine/pc-vdev.c) */
    struct virtio_net *nets[VM_MAX_NICS];
    struct virtio_pci *net_pcis[VM_MAX_NICS];
    struct pc_rom net_roms[VM_MAX_NICS];  /* firmware boots: each NIC's boot ROM (machine/pc-rom.c) */
    int net_slots[VM_MAX_NICS];           /* the PCI slot of each NIC with a boot ROM, else -1 */
    struct virtio_mmio *blk_mmios[VM_MAX_DRIVES];
    int nmmio;                 /* virtio-mmio devices so far: the next one's index */
    int quiesced;              /* pc_state_quiesce depth: the disks take requests again at 0 */
    bool load_held;            /* a load holds the NICs and virtio-rng until RAM is in place */
};

/* pc.c: the board's interrupt and MSI links, which the plugged devices are handed. */
struct irq_line pc_irq_line(struct pc *pc, unsigned gsi);
void pc_msi(void *opaque, uint64_t addr, uint32_t data);
int pc_msi_route_set(void *opaque, int *id, uint64_t addr, uint32_t data);
void pc_msi_route_free(void *opaque, int id);
/* pc-plug.c: the command line's devices, plugged in pc_init's order. */
int pc_pci_plug_cb(void *board, struct pci_dev *d);
/* pc-pam.c: the host bridge's pam_link (hw/pci/host.h), opaque the struct vm. */
void pc_pam_changed(void *opaque, const uint8_t *regs);
int pc_add_pm_fn(struct pc *pc, char *err, size_t errlen);
int pc_add_ide(struct pc *pc, const struct irq_line *lines, char *err, size_t errlen);
int pc_add_drives(struct pc *pc, char *err, size_t errlen);
int pc_add_nics(struct pc *pc, char *err, size_t errlen);

/* pc-state.c: vm_board_ops' save_state / load_state. */
int pc_save_state(struct vm *vm, struct vms_writer *w, char *err, size_t errlen);
int pc_load_state(struct vm *vm, struct vms_index *idx, char *err, size_t errlen);
void pc_state_resume(struct vm *vm);
void pc_state_quiesce(struct vm *vm, bool on);
/* pc-state.c: find (tag, instance) in idx and hand a reader over it to load; a missing or refused
 * section fails with name in err. */
int pc_state_load_one(struct vms_index *idx, uint32_t tag, uint32_t inst, const char *name,
                      int (*load)(void *dev, struct vms_reader *r), void *dev, char *err, size_t errlen);
/* pc-state-dev.c: the NICs and virtio-rng (their sections; holding them around a save or load). */
struct vms_reader;
void pc_hold_devs(struct pc *pc, bool on);
int pc_save_devs(struct pc *pc, struct vms_writer *w, char *err, size_t errlen);
int pc_load_devs(struct pc *pc, struct vms_index *idx, char *err, size_t errlen);
/* vm_board_ops' disks_handover (pc-migrate.c). */
int pc_disks_handover(struct vm *vm, bool give, char *err, size_t errlen);
uint64_t pc_disk_size(struct vm *vm, int i);
void pc_disk_track(struct vm *vm, int i, struct dirty_log *log);
int pc_disk_io(struct vm *vm, int i, bool write, uint64_t off, void *buf, size_t len);

#endif
