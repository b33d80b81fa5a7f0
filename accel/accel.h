/* Choosing the accelerator: --accel's name to an implementation of machine/accel.h's interface.
 * Only accel/ knows which accelerators exist; the machine sees the ops table and its capabilities. */
#ifndef VMON_ACCEL_ACCEL_H
#define VMON_ACCEL_ACCEL_H

#include "machine/accel.h"

/* "kvm", "soft", or "auto" (KVM where /dev/kvm opens and the CPU has vmx or svm, else soft), or a
 * list such as "kvm:soft": the first that runs here. NULL with *why set (a static string) when none
 * can. *note is a one-line warning to print, or NULL: KVM picked where /dev/kvm opens but the CPU
 * shows no vmx/svm (a paravirtual KVM, which emulates ring-0 code). */
const struct accel_ops *accel_pick(const char *name, const char **why, const char **note);

/* The implementations (accel/kvm/kvm.c, accel/soft/soft.c), for accel_pick and accel/'s own tests. */
extern const struct accel_ops kvm_accel_ops;
extern const struct accel_ops soft_accel_ops;

#endif
