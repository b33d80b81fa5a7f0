/* Whole-VM snapshots in the disks' qcow2 internal snapshots, as QEMU's savevm / loadvm / delvm /
 * info snapshots (QEMU migration/savevm.c save_snapshot, load_snapshot): every writable disk gets a
 * snapshot named TAG at the same instant, and the first one also holds the VM state (the bytes of a
 * vmon state file, migration/vmstate.h) in its VM state area, the snapshot recording its size. */
#ifndef VMON_MACHINE_SAVEVM_H
#define VMON_MACHINE_SAVEVM_H

#include <stddef.h>
#include <stdio.h>

struct vm;

/* Any thread but a vCPU's; the vCPUs are parked and the disks quiesced meanwhile and go on after
 * if they ran. tag NULL: QEMU's "vm-YYYYMMDDHHMMSS". A snapshot already named tag is replaced.
 * A writable disk that cannot hold snapshots (raw) refuses it, as does a VM with no qcow2 disk.
 * 0, or -errno with one line in err. */
int vm_savevm(struct vm *vm, const char *tag, char *err, size_t errlen);
/* The disks back to tag and the VM to its state (running VM). An unknown tag, or one without VM
 * state, is refused with the VM untouched; a failure once the disks were reverted leaves it paused. */
int vm_loadvm(struct vm *vm, const char *tag, char *err, size_t errlen);
/* The same before vm_run (-loadvm TAG): -EINVAL for a refused tag (the caller exits 2). */
int vm_loadvm_start(struct vm *vm, const char *tag, char *err, size_t errlen);
/* Deletes tag from every disk that has it; -ENOENT when none has. */
int vm_delvm(struct vm *vm, const char *tag, char *err, size_t errlen);
/* The names of the disks savevm snapshots (the drive id, else "virtioN"), the VM state's first, into
 * names (max of them): how many, or -ENOTSUP with QEMU's message in err when none can or one cannot. */
#define VM_DISK_NAME_LEN 40
int vm_savevm_disk_names(struct vm *vm, char (*names)[VM_DISK_NAME_LEN], int max, char *err, size_t errlen);
/* HMP info snapshots: the VM state disk's snapshots in QEMU's table. */
void vm_snapshots_print(struct vm *vm, FILE *out);

#endif
