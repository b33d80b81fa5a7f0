# util/: the event loop and the clocks (host time, the guest TSC) that devices and vCPUs share.
VMON_SRCS += util/eventloop.c util/clock.c util/tsc.c util/pagemap.c
UNIT_TESTS += util/tsc_test.c
