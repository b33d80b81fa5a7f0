/* What the segmentation files share (seg.c: descriptor loads, far transfers, iret; seg-gate.c:
 * call gates; task.c: hardware task switches), beyond cpu.h's interface for the handlers. */
#ifndef VMON_ACCEL_SOFT_SEG_H
#define VMON_ACCEL_SOFT_SEG_H

#include "accel/soft/cpu.h"

/* Load CS from descriptor d for a transfer to a code segment at privilege cpl. */
void seg_load_cs(struct cpu *c, uint16_t sel, uint64_t *d, unsigned cpl);
/* Set the accessed bit of the descriptor sel names, in the table and in *desc. */
void seg_desc_set_accessed(struct cpu *c, uint16_t sel, uint64_t *desc);
/* mem.c: may [off, off + size) of segment s be accessed as acc outside 64-bit mode (limit,
 * expand-down, type, null)? */
bool seg_legacy_ok(const struct cpu *c, const struct seg_cache *s, uint64_t off, unsigned size,
                   enum access acc);
/* A far call or jmp through the call gate sel (descriptor d, already read): SDM vol. 2, CALL. */
void seg_call_gate(struct cpu *c, uint16_t sel, const uint64_t d[2], bool call);

#endif
