/* vmon run's options for the issue-14 devices besides virtio-net (kept apart from run-args.c so
 * -device parsing can grow per device family): -chardev, -device virtio-rng-pci / virtio-serial-pci
 * / virtconsole / virtserialport / vhost-vsock-pci, and vmon's --rng, --console, --vsock. */
#ifndef VMON_TOOLS_RUN_VDEV_ARGS_H
#define VMON_TOOLS_RUN_VDEV_ARGS_H

#include <stddef.h>

#include "machine/vm.h"

/* A -device value: 1 when it names one of these devices (parsed into cfg), 0 when it names
 * another device, -1 on an error (err set). */
int run_vdev_device(const char *v, struct vm_config *cfg, char *err, size_t errlen);
int run_vdev_chardev(const char *v, struct vm_config *cfg, char *err, size_t errlen);
/* --rng [max-bytes=N,period=MS] ("on" for neither), --vsock cid=N[,uds=PATH],
 * --console chardev=ID[,name=NAME] (a virtconsole on an implied virtio-serial-pci). 0 or -1. */
int run_vdev_rng(const char *v, struct vm_config *cfg, char *err, size_t errlen);
int run_vdev_vsock(const char *v, struct vm_config *cfg, char *err, size_t errlen);
int run_vdev_console(const char *v, struct vm_config *cfg, char *err, size_t errlen);
/* After all options: ports need their virtio-serial-pci, chardev ids are unique. 0 or -1. */
int run_vdev_check(const struct vm_config *cfg, char *err, size_t errlen);

#endif
