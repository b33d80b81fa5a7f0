/* Choosing the accelerator: --accel's name to an implementation of machine/accel.h's interface.
 * Only accel/ knows which accelerators exist; the machine sees the ops table and its capabilities. */
#ifndef VMON_ACCEL_ACCEL_H
#define VMON_ACCEL_ACCEL_H

#include "machine/accel.h"

/* "kvm", "soft", or "auto" (KVM where /dev/kvm opens and the CPU has vmx or svm, else soft).
 * NULL with *why set (a static string) when it cannot run here. */
const struct accel_ops *accel_pick(const char *name, const char **why);

/* The implementations (accel/kvm/kvm.c, accel/soft/soft.c), for accel_pick and accel/'s own tests. */
extern const struct accel_ops kvm_accel_ops;
extern const struct accel_ops soft_accel_ops;

#endif
