# hw/virtio/: split and packed virtqueues, the modern PCI transport, virtio-blk, -net, -rng, -console, -vsock.
VMON_SRCS += hw/virtio/queue.c hw/virtio/packed.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/packed_test.c hw/virtio/blk_test.c \
              hw/virtio/blk-features_test.c hw/virtio/doorbell_test.c hw/virtio/rng_test.c \
              hw/virtio/console_test.c hw/virtio/vsock_test.c hw/virtio/pci_test.c hw/virtio/mmio_test.c
# The virtio-blk test rig uses cmocka: linked into the tests that use it, not libvmon-test.a (which
# tests/isa links whole, without cmocka).
$(BUILD)/hw/virtio/blk_test $(BUILD)/hw/virtio/blk-features_test: $(BUILD)/hw/virtio/blk-rig.o
VMON_SRCS += hw/virtio/virtio.c hw/virtio/virtio-state.c hw/virtio/pci.c hw/virtio/pci-cfgcap.c hw/virtio/pci-state.c hw/virtio/pci-legacy.c hw/virtio/mmio.c hw/virtio/mmio-state.c hw/virtio/blk.c \
             hw/virtio/blk-req.c hw/virtio/blk-io.c

# libFuzzer target over the split and packed ring walkers: make fuzz-rings [FUZZ_TIME=600]
build/fuzz/fuzz-rings: hw/virtio/fuzz-rings.c hw/virtio/queue.c hw/virtio/packed.c mm/memory.c mm/pam.c mm/dirty.c \
		hw/virtio/queue.h hw/virtio/packed.h
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/virtio/fuzz-rings.c hw/virtio/queue.c hw/virtio/packed.c mm/memory.c mm/pam.c mm/dirty.c
fuzz-rings: build/fuzz/fuzz-rings
	@mkdir -p build/fuzz/rings-corpus
	build/fuzz/fuzz-rings -max_total_time=$(FUZZ_TIME) -max_len=8192 -timeout=10 \
		-artifact_prefix=build/fuzz/ build/fuzz/rings-corpus
.PHONY: fuzz-rings

# issue 14: virtio-rng, virtio-console (virtio-serial, multiport), virtio-vsock (Unix-socket host side)
VMON_SRCS += hw/virtio/rng.c hw/virtio/console.c hw/virtio/console-ctrl.c hw/virtio/console-state.c hw/virtio/vsock.c hw/virtio/vsock-state.c \
             hw/virtio/vsock-conn.c hw/virtio/vsock-uds.c

# libFuzzer targets over the guest-facing parsers: make fuzz-vsock / fuzz-vconsole [FUZZ_TIME=600]
VIRTIO_FUZZ_SRCS := hw/virtio/queue.c hw/virtio/packed.c hw/virtio/virtio.c mm/memory.c mm/pam.c mm/dirty.c util/eventloop.c
VIRTIO_FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
                     -fno-sanitize-recover=undefined -pthread
build/fuzz/fuzz-vsock: hw/virtio/fuzz-vsock.c hw/virtio/vsock.c hw/virtio/vsock-conn.c hw/virtio/vsock-uds.c hw/virtio/vsock-state.c migration/vmstate.c \
                       $(VIRTIO_FUZZ_SRCS) \
                       hw/virtio/vsock.h hw/virtio/fuzz-rig.h
	@mkdir -p $(dir $@)
	clang $(VIRTIO_FUZZ_FLAGS) -o $@ hw/virtio/fuzz-vsock.c hw/virtio/vsock.c hw/virtio/vsock-conn.c hw/virtio/vsock-uds.c hw/virtio/vsock-state.c migration/vmstate.c \
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

# issue 14: virtio-net
VMON_SRCS += hw/virtio/net.c hw/virtio/net-rx.c hw/virtio/net-rxtx.c hw/virtio/net-offload.c hw/virtio/net-state.c

# libFuzzer target over virtio-net's receive/transmit/control paths: make fuzz-net [FUZZ_TIME=600]
NET_FUZZ_SRCS := hw/virtio/net.c hw/virtio/net-rx.c hw/virtio/net-rxtx.c hw/virtio/net-offload.c hw/virtio/virtio.c \
                 hw/virtio/queue.c hw/virtio/packed.c mm/memory.c mm/pam.c mm/dirty.c net/net.c net/slirp.c net/slirp-loop.c net/slirp-frames.c net/slirp-state.c net/tap.c net/coalesce.c util/inet-csum.c
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

# libFuzzer target over the transports (PCI config/ECAM, virtio-pci modern/legacy/MSI-X BARs,
# virtio-mmio): make fuzz-virtio-transport [FUZZ_TIME=600]
FUZZ_TRANSPORT_SRCS := hw/virtio/virtio.c hw/virtio/queue.c hw/virtio/packed.c hw/virtio/pci.c hw/virtio/pci-cfgcap.c hw/virtio/pci-legacy.c \
                       hw/virtio/mmio.c hw/pci/pci.c hw/pci/msix.c hw/pci/msi.c hw/pci/host.c mm/memory.c mm/pam.c mm/dirty.c mm/bus.c \
                       util/eventloop.c migration/vmstate.c
build/fuzz/fuzz-virtio-transport: hw/virtio/fuzz-transport.c $(FUZZ_TRANSPORT_SRCS)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/virtio/fuzz-transport.c $(FUZZ_TRANSPORT_SRCS) -lpthread
fuzz-virtio-transport: build/fuzz/fuzz-virtio-transport
	@mkdir -p build/fuzz/transport-corpus
	build/fuzz/fuzz-virtio-transport -max_total_time=$(FUZZ_TIME) -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=build/fuzz/ build/fuzz/transport-corpus
.PHONY: fuzz-virtio-transport
