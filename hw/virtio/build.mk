# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/blk_test.c hw/virtio/rng_test.c hw/virtio/console_test.c \
              hw/virtio/vsock_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/blk.c
# issue 14: virtio-rng, virtio-console (virtio-serial, multiport), virtio-vsock (Unix-socket host side)
VMON_SRCS += hw/virtio/rng.c hw/virtio/console.c hw/virtio/console-ctrl.c hw/virtio/vsock.c \
             hw/virtio/vsock-conn.c hw/virtio/vsock-uds.c

# libFuzzer targets over the guest-facing parsers: make fuzz-vsock / fuzz-vconsole [FUZZ_TIME=600]
VIRTIO_FUZZ_SRCS := hw/virtio/queue.c hw/virtio/virtio.c mm/memory.c util/eventloop.c
VIRTIO_FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
                     -fno-sanitize-recover=undefined -pthread
build/fuzz/fuzz-vsock: hw/virtio/fuzz-vsock.c hw/virtio/vsock.c hw/virtio/vsock-conn.c hw/virtio/vsock-uds.c \
                       $(VIRTIO_FUZZ_SRCS) \
                       hw/virtio/vsock.h hw/virtio/fuzz-rig.h
	@mkdir -p $(dir $@)
	clang $(VIRTIO_FUZZ_FLAGS) -o $@ hw/virtio/fuzz-vsock.c hw/virtio/vsock.c hw/virtio/vsock-conn.c hw/virtio/vsock-uds.c \
		$(VIRTIO_FUZZ_SRCS)
fuzz-vsock: build/fuzz/fuzz-vsock
	@[ -d build/fuzz/vsock-corpus ] || hw/virtio/fuzz-seeds.py vsock build/fuzz/vsock-corpus
	build/fuzz/fuzz-vsock -max_total_time=$(FUZZ_TIME) -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/vsock- build/fuzz/vsock-corpus
build/fuzz/fuzz-vconsole: hw/virtio/fuzz-vconsole.c hw/virtio/console.c hw/virtio/console-ctrl.c \
                          $(VIRTIO_FUZZ_SRCS) hw/virtio/console.h hw/virtio/fuzz-rig.h
	@mkdir -p $(dir $@)
	clang $(VIRTIO_FUZZ_FLAGS) -o $@ hw/virtio/fuzz-vconsole.c hw/virtio/console.c \
		hw/virtio/console-ctrl.c $(VIRTIO_FUZZ_SRCS)
fuzz-vconsole: build/fuzz/fuzz-vconsole
	@[ -d build/fuzz/vconsole-corpus ] || hw/virtio/fuzz-seeds.py vconsole build/fuzz/vconsole-corpus
	build/fuzz/fuzz-vconsole -max_total_time=$(FUZZ_TIME) -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/vconsole- build/fuzz/vconsole-corpus
.PHONY: fuzz-vsock fuzz-vconsole
