# chardev/: the backends behind -chardev (socket, stdio, file), reached through hw/chr-link.h.
VMON_SRCS += chardev/parse.c chardev/backend.c
UNIT_TESTS += chardev/chardev_test.c
