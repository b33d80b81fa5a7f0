# util/: the event loop and the clocks (host time, the guest TSC) that devices and vCPUs share, and
# the Internet checksum that virtio-net and user networking share.
VMON_SRCS += util/eventloop.c util/clock.c util/tsc.c util/pagemap.c util/inet-csum.c
UNIT_TESTS += util/tsc_test.c
