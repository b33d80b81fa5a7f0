# net/: network backends (user: libslirp, tap), reached by devices through net/net.h only.
VMON_SRCS += net/net.c net/slirp.c net/slirp-loop.c net/slirp-frames.c net/slirp-state.c net/tap.c
UNIT_TESTS += net/slirp_test.c

# issue 14: receive-segment coalescing for the user backend (host -> guest TCP as GSO frames)
VMON_SRCS += net/coalesce.c
UNIT_TESTS += net/coalesce_test.c

# libFuzzer target over the coalescer: make fuzz-coalesce [FUZZ_TIME=600]
build/fuzz/fuzz-coalesce: net/coalesce_fuzz.c net/coalesce.c net/coalesce.h net/net.h util/inet-csum.c
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ net/coalesce_fuzz.c net/coalesce.c util/inet-csum.c
fuzz-coalesce: build/fuzz/fuzz-coalesce
	@[ -d build/fuzz/coalesce-corpus ] || net/coalesce-seeds.py build/fuzz/coalesce-corpus
	nice -n 10 build/fuzz/fuzz-coalesce -max_total_time=$(FUZZ_TIME) -max_len=300000 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=build/fuzz/coalesce- build/fuzz/coalesce-corpus
.PHONY: fuzz-coalesce
