/* What machine/savevm.c and machine/savevm-info.c share: the VM's disks that take part in a
 * whole-VM snapshot. Not for other folders. */
#ifndef VMON_MACHINE_SAVEVM_INT_H
#define VMON_MACHINE_SAVEVM_INT_H

#include <stddef.h>

#include "block/block.h"
#include "machine/savevm.h"
#include "machine/vm.h"

#define SAVEVM_MAX_DISKS (VM_MAX_DRIVES + VM_MAX_IDE)   /* the virtio disks, then IDE's */

struct savevm_disk {
    struct blk *bs;
    char name[VM_DISK_NAME_LEN];   /* the drive's id, else QEMU's "virtioN" / "ideB-hdU" */
    char id[32];               /* loadvm: the snapshot's ID on this disk */
};

/* The writable disks the board saves with the VM, the VM state's first: how many, or -ENOTSUP with
 * QEMU's message when one cannot hold snapshots or none can. */
int savevm_disks(struct vm *vm, struct savevm_disk *d, char *err, size_t errlen);
/* The snapshot named tag on bs (out's strings cleared, its ID copied to id): 0, -ENOENT or -errno. */
int savevm_find(struct blk *bs, const char *tag, struct blk_snapshot *out, char *id, size_t idlen);

#endif
