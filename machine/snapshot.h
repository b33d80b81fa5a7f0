/* Whole-VM state to and from a file (issue 18; migration/vmstate.h says the format): every vCPU's
 * architectural state, the board's devices, then guest RAM on its own pages, mapped MAP_PRIVATE on
 * restore so guest pages are read from the file as the guest touches them (Firecracker's
 * snapshot/restore, one file). */
#ifndef VMON_MACHINE_SNAPSHOT_H
#define VMON_MACHINE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/accel.h"
#include "migration/vmstate.h"

struct vm;

/* Save to path (any thread but a vCPU's): the vCPUs are parked for the time it takes and go on after
 * if they ran. 0, or -errno with one line in err. */
int vm_save_state(struct vm *vm, const char *path, char *err, size_t errlen);
/* Load path into a VM that vm_init built with the same CPU model, RAM size and vCPU count, before
 * vm_run: a file that is not a vmon state file, of another version or another VM shape, truncated,
 * corrupted or holding state this vmon does not know is refused with err and -EINVAL, the VM
 * untouched but for what was loaded before the fault (the caller then exits 2). */
int vm_restore_state(struct vm *vm, const char *path, char *err, size_t errlen);
/* The same into a VM that runs (any thread but a vCPU's): the vCPUs are parked and the disks quiesced
 * meanwhile, and go on from the file's state if they ran. A file refused before anything was loaded
 * leaves the VM as it was; a later failure leaves it paused (err says so). */
int vm_load_state(struct vm *vm, const char *path, char *err, size_t errlen);
/* The sections of a state file (every vCPU, the board's devices, END) into w, vCPUs parked (a live
 * migration's last phase, machine/migrate.c); 0 or -errno with err. */
int vm_state_sections(struct vm *vm, struct vms_writer *w, char *err, size_t errlen);
/* Such a section list into a VM before vm_run (a migration's destination): checked as a file's,
 * -EINVAL with err when refused. RAM is the caller's. */
int vm_state_load_sections(struct vm *vm, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* Where a VM state goes or comes from when it is not a file of its own (savevm's qcow2 VM state area,
 * machine/savevm.c): the same bytes a state file holds, RAM read in rather than mapped. */
struct vm_state_io {
    int (*pwrite)(void *opaque, const void *buf, size_t len, uint64_t off);   /* 0 or -errno */
    int (*pread)(void *opaque, void *buf, size_t len, uint64_t off);
    uint64_t size;             /* pread: how many bytes there are */
    void *opaque;
    bool sparse;               /* pwrite may skip RAM's all-zero pages: what is never written reads
                                  back as zeros (a fresh file's holes) */
};
/* vm_save_state into io; *len: how many bytes the state took. */
int vm_save_state_io(struct vm *vm, const struct vm_state_io *io, uint64_t *len, char *err, size_t errlen);
/* vm_restore_state (before vm_run, running false) or vm_load_state (running true) from io. */
int vm_load_state_io(struct vm *vm, const struct vm_state_io *io, bool running, char *err, size_t errlen);
/* The CPU model name a state file records ("max" when none was given). */
const char *vm_snapshot_model(const struct vm *vm);

/* One vCPU's section, "CPU " instance = vCPU index (snapshot-cpu.c). */
#define VMS_TAG_CPU VMS_TAG('C', 'P', 'U', ' ')
void snapshot_cpu_put(struct vms_writer *w, const struct cpu_state *s, const struct fpu_state *f,
                      const struct vcpu_arch_state *a);
/* 0, or -EINVAL when the section is short, long or holds values no CPU can have. */
int snapshot_cpu_get(struct vms_reader *r, struct cpu_state *s, struct fpu_state *f,
                     struct vcpu_arch_state *a);

#endif
