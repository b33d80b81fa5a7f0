/* Hardware task switches (task.c; SDM vol. 3, chapter 7): legacy protected mode only. */
#ifndef VMON_ACCEL_SOFT_TASK_H
#define VMON_ACCEL_SOFT_TASK_H

#include "accel/soft/cpu.h"

/* What started the switch: it decides the busy bits, the back link and EFLAGS.NT (7.3, table 7-2). */
enum task_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };

/* Switch to the task of TSS descriptor desc (selector sel); next_eip is saved as the old task's
 * EIP; an event through a task gate pushes its error code on the new task's stack. */
void task_switch(struct cpu *c, uint16_t sel, const uint64_t desc[2], enum task_reason why, bool has_err,
                 uint32_t err, uint64_t next_eip);
/* A far jmp/call whose selector names a TSS or a task gate (descriptor d, already read). */
void task_far(struct cpu *c, uint16_t sel, const uint64_t d[2], bool call);
/* An interrupt or exception through a task gate of the IDT (gate checks already done). */
void task_gate_event(struct cpu *c, const uint64_t gate[2], bool has_err, uint32_t err, uint64_t next_eip);
/* iret with NT=1: back to the task in the current TSS's back link. */
void task_return(struct cpu *c);

#endif
