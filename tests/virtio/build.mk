# libFuzzer target over the virtqueue walker and a virtio-blk-pci function (config space, BAR 0,
# notifications) on fake guest RAM: make fuzz-virtio [FUZZ_TIME=600]
FUZZ_VIRTIO_SRCS := hw/virtio/queue.c hw/virtio/packed.c hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/pci-cfgcap.c \
                    hw/virtio/pci-legacy.c hw/virtio/blk.c hw/virtio/blk-req.c hw/virtio/blk-io.c hw/pci/pci.c \
                    hw/virtio/virtio-state.c hw/pci/msix.c hw/pci/msi.c hw/pci/host.c mm/memory.c mm/pam.c mm/dirty.c mm/bus.c util/eventloop.c \
                    util/clock.c migration/vmstate.c $(FUZZ_SRCS)
build/fuzz/fuzz-virtio: tests/virtio/fuzz-virtio.c $(FUZZ_VIRTIO_SRCS) $(wildcard hw/virtio/*.h hw/pci/*.h)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ tests/virtio/fuzz-virtio.c $(FUZZ_VIRTIO_SRCS) -lz -lzstd -lpthread
fuzz-virtio: build/fuzz/fuzz-virtio
	@[ -d build/fuzz/virtio-corpus ] || tests/virtio/fuzz-seeds.py build/fuzz/virtio-corpus
	build/fuzz/fuzz-virtio -max_total_time=$(FUZZ_TIME) -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/virtio- build/fuzz/virtio-corpus
.PHONY: fuzz-virtio
