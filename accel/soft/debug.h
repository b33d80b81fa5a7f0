/* Debug registers (SDM vol. 3, chapter 17): breakpoints DR0-DR3 enabled by DR7, status in DR6,
 * delivered as #DB. Costs nothing while DR7 enables no breakpoint: only then does cpu_exec run
 * instruction by instruction through db_step, and do watched pages stay off the TLB fast path. */
#ifndef VMON_ACCEL_SOFT_DEBUG_H
#define VMON_ACCEL_SOFT_DEBUG_H

#include "accel/soft/cpu.h"

/* cpu->dr_armed bits: some enabled breakpoint is an instruction / a data breakpoint. */
enum { DB_ARMED_EXEC = 1, DB_ARMED_DATA = 2 };

/* After a write to DR0-DR3 or DR7: recompute dr_armed and drop TLB shortcuts to watched pages. */
void db_update(struct cpu *c);
/* Run one instruction with the debug checks: an instruction breakpoint before it (a fault, unless
 * RF), then its data-breakpoint hits and the TF single-step trap after it, one #DB for all. */
void db_step(struct cpu *c);
/* mem.c's slow paths: does an enabled data breakpoint lie on the page at vpage (then the TLB keeps
 * no read/write tag for it), and record the hits of an access. */
bool db_watched(const struct cpu *c, uint64_t vpage);
void db_access(struct cpu *c, uint64_t lin, unsigned size, bool write);
/* DR6 as software reads it: the reserved bits that read as 1 (SDM vol. 3, 17.2.3). */
uint64_t db_dr6(const struct cpu *c);
/* Stop cpu_exec for the host debugger (STOP_BREAK with hstop = kind, hhits = DR6 B0-B3 bits). */
void db_host_stop(struct cpu *c, int kind, unsigned hits);
/* exec.c: run exactly one instruction (the first of the block at rip). */
void step_one(struct cpu *c);

#endif
