# net/: network backends (user: libslirp, tap), reached by devices through net/net.h only.
VMON_SRCS += net/net.c net/slirp.c net/slirp-loop.c net/slirp-state.c net/tap.c
UNIT_TESTS += net/slirp_test.c
