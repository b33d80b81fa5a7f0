# hw/virtio/: split and packed virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c hw/virtio/packed.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/packed_test.c hw/virtio/blk_test.c \
              hw/virtio/blk-features_test.c hw/virtio/doorbell_test.c
# The virtio-blk test rig uses cmocka: linked into the tests that use it, not libvmon-test.a (which
# tests/isa links whole, without cmocka).
$(BUILD)/hw/virtio/blk_test $(BUILD)/hw/virtio/blk-features_test: $(BUILD)/hw/virtio/blk-rig.o
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/blk.c hw/virtio/blk-req.c hw/virtio/blk-io.c

# libFuzzer target over the split and packed ring walkers: make fuzz-rings [FUZZ_TIME=600]
build/fuzz/fuzz-rings: hw/virtio/fuzz-rings.c hw/virtio/queue.c hw/virtio/packed.c mm/memory.c \
		hw/virtio/queue.h hw/virtio/packed.h
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/virtio/fuzz-rings.c hw/virtio/queue.c hw/virtio/packed.c mm/memory.c
fuzz-rings: build/fuzz/fuzz-rings
	@mkdir -p build/fuzz/rings-corpus
	build/fuzz/fuzz-rings -max_total_time=$(FUZZ_TIME) -max_len=8192 -timeout=10 \
		-artifact_prefix=build/fuzz/ build/fuzz/rings-corpus
.PHONY: fuzz-rings
