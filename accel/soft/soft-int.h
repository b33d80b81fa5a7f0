/* What accel/soft/soft.c shares with accel/soft/snapshot.c: the per-vCPU state around struct cpu. */
#ifndef VMON_ACCEL_SOFT_SOFT_INT_H
#define VMON_ACCEL_SOFT_SOFT_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "accel/soft/cpu.h"

struct vm;

struct soft_vcpu {
    struct cpu cpu;
    struct vcpu *v;
    pthread_mutex_t lock;          /* sleep lock for hlt and wait-for-SIPI */
    pthread_cond_t cond;
    bool kicked;                   /* sticky: a kick before the sleep is not lost */
    bool wait_sipi;
};

/* Snapshots (snapshot.c): machine/accel.h's get_arch / set_arch. */
int soft_get_arch(struct vcpu *v, struct vcpu_arch_state *a);
int soft_set_arch(struct vcpu *v, const struct vcpu_arch_state *a);

/* A live migration's dirty log (dirty.c): cpu_env_ops' ram_write and machine/accel.h's dirty_log /
 * dirty_sync. */
bool soft_ram_write(struct cpu *c, const uint8_t *host, bool writing);
int soft_dirty_log(struct vm *vm, bool on);
int soft_dirty_sync(struct vm *vm);

#endif
