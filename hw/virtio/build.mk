# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk, virtio-net.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/blk_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/blk.c
VMON_SRCS += hw/virtio/net.c hw/virtio/net-rxtx.c hw/virtio/net-offload.c

# libFuzzer target over virtio-net's receive/transmit/control paths: make fuzz-net [FUZZ_TIME=600]
NET_FUZZ_SRCS := hw/virtio/net.c hw/virtio/net-rxtx.c hw/virtio/net-offload.c hw/virtio/virtio.c \
                 hw/virtio/queue.c mm/memory.c net/net.c net/slirp.c net/slirp-loop.c net/tap.c
build/fuzz/fuzz-net: hw/virtio/net_fuzz.c $(NET_FUZZ_SRCS) hw/virtio/net.h hw/virtio/net-offload.h net/net.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/virtio/net_fuzz.c $(NET_FUZZ_SRCS) -lslirp -pthread
fuzz-net: build/fuzz/fuzz-net
	@[ -d build/fuzz/net-corpus ] || tests/net/fuzz-net-seeds.py build/fuzz/net-corpus
	nice -n 10 build/fuzz/fuzz-net -max_total_time=$(FUZZ_TIME) -max_len=300000 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/net- build/fuzz/net-corpus
.PHONY: fuzz-net
UNIT_TESTS += hw/virtio/net-offload_test.c
UNIT_TESTS += hw/virtio/net_test.c
