/* vmon run's network options (tools/run-net.c): --net, and QEMU's -netdev, -nic and
 * -device virtio-net-pci, into struct vm_config's NICs. */
#ifndef VMON_TOOLS_RUN_NET_H
#define VMON_TOOLS_RUN_NET_H

#include <stddef.h>

#include "machine/vm.h"

enum run_net_opt { RUN_NET, RUN_NETDEV, RUN_NIC };

/* One --net / -netdev / -nic value; 0, or -1 with the reason in err. */
int run_parse_net(enum run_net_opt which, const char *v, struct vm_config *cfg, char *err, size_t errlen);
/* -device virtio-net-pci,netdev=ID[,mac=..][,id=..]. */
int run_parse_net_device(const char *v, struct vm_config *cfg, char *err, size_t errlen);
/* After all options: every -netdev has its device. */
int run_check_nets(const struct vm_config *cfg, char *err, size_t errlen);

#endif
