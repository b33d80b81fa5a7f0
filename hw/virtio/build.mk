# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/blk_test.c hw/virtio/pci_test.c hw/virtio/mmio_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/pci-legacy.c hw/virtio/mmio.c hw/virtio/blk.c

# libFuzzer target over the transports (PCI config/ECAM, virtio-pci modern/legacy/MSI-X BARs,
# virtio-mmio): make fuzz-virtio-transport [FUZZ_TIME=600]
FUZZ_TRANSPORT_SRCS := hw/virtio/virtio.c hw/virtio/queue.c hw/virtio/pci.c hw/virtio/pci-legacy.c \
                       hw/virtio/mmio.c hw/pci/pci.c hw/pci/msix.c hw/pci/host.c mm/memory.c mm/bus.c \
                       util/eventloop.c
build/fuzz/fuzz-virtio-transport: hw/virtio/fuzz-transport.c $(FUZZ_TRANSPORT_SRCS)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/virtio/fuzz-transport.c $(FUZZ_TRANSPORT_SRCS) -lpthread
fuzz-virtio-transport: build/fuzz/fuzz-virtio-transport
	@mkdir -p build/fuzz/transport-corpus
	build/fuzz/fuzz-virtio-transport -max_total_time=$(FUZZ_TIME) -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=build/fuzz/ build/fuzz/transport-corpus
.PHONY: fuzz-virtio-transport
