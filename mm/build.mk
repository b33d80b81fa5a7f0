VMON_SRCS += mm/memory.c mm/bus.c mm/dirty.c mm/pam.c
UNIT_TESTS += mm/memory_test.c mm/bus_test.c mm/dirty_test.c mm/pam_test.c
