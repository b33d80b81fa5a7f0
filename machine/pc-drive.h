/* Opening a --drive's image for the board: as given, or under a temporary qcow2 overlay for
 * snapshot=on / -snapshot (QEMU's bdrv_append_temp_snapshot). */
#ifndef VMON_MACHINE_PC_DRIVE_H
#define VMON_MACHINE_PC_DRIVE_H

#include "block/block.h"
#include "hw/virtio/blk.h"
#include "machine/vm.h"

/* The drive's image, locked as the block layer does; NULL with the reason in err (BLK_ERR_LEN).
 * With dr->snapshot the guest writes into a qcow2 overlay in $TMPDIR (else /var/tmp) whose
 * backing file is the image, opened read-only; the overlay is unlinked once open, so it goes
 * away with vmon however vmon ends. */
struct blk *pc_drive_open(const struct vm_drive *dr, char *err);
/* A live migration's destination, before the stream is in: the image read-only and shared (on shared
 * storage the source still writes it), for its format and size; machine/pc-migrate.c opens it for
 * real after the stream, or at the first disk data migrate -b sends (an image of its own). */
struct blk *pc_drive_open_incoming(const struct vm_drive *dr, char *err);
/* The virtio-blk options the drive asks for. */
void pc_drive_blk_opts(const struct vm_drive *dr, const char *id, struct virtio_blk_opts *o);

#endif
