# Block layer: raw and qcow2 behind struct blk_driver (block/block.h), the only door vmon img uses.
VMON_SRCS += block/block.c block/opts.c block/file.c block/lock.c block/probe.c block/raw.c block/qcow2.c block/qcow2-cluster.c \
             block/qcow2-refcount.c block/qcow2-cache.c block/qcow2-check.c block/qcow2-snapshot.c block/qcow2-vmstate.c \
             block/qcow2-header.c block/qcow2-compress.c block/qcow2-bitmap.c block/qcow2-bitmap-edit.c block/qcow2-info.c block/qcow2-opts.c \
             block/prealloc.c block/fmtutil.c block/vpc.c block/vpc-create.c block/vdi.c block/vhdx.c block/vhdx-check.c block/vmdk.c block/vmdk-desc.c block/vmdk-sparse.c block/vmdk-stream.c

# Test driver for workloads, crash and power-loss tests (tests/img/blkio.c).
TEST_DEPS += $(BUILD)/tests/img/blkio
$(BUILD)/tests/img/blkio: $(BUILD)/tests/img/blkio.o $(BUILD)/libvmon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

UNIT_TESTS += block/qcow2-refcount_test.c block/qcow2-vmstate_test.c block/probe_test.c block/opts_test.c block/fmtutil_test.c block/guard0_test.c block/mapwrite_test.c
INTEG_TESTS += tests/img/golden.sh tests/img/interop.sh tests/img/crash.sh tests/img/badinput.sh tests/img/lazy.sh
QUICK_TESTS += tests/img/golden.sh tests/img/interop.sh tests/img/crash.sh tests/img/badinput.sh tests/img/lazy.sh

# libFuzzer target over the qcow2 opener and read path: make fuzz-qcow2 [FUZZ_TIME=600]
FUZZ_TIME ?= 600
FUZZ_SRCS := block/block.c block/opts.c block/file.c block/lock.c block/probe.c block/raw.c block/qcow2.c block/qcow2-cluster.c block/qcow2-refcount.c \
             block/qcow2-cache.c block/qcow2-check.c block/qcow2-snapshot.c block/qcow2-vmstate.c block/qcow2-header.c block/qcow2-compress.c block/qcow2-bitmap.c block/qcow2-bitmap-edit.c block/qcow2-info.c block/qcow2-opts.c \
             block/prealloc.c block/fmtutil.c block/vpc.c block/vpc-create.c block/vdi.c block/vhdx.c block/vhdx-check.c block/vmdk.c block/vmdk-desc.c block/vmdk-sparse.c block/vmdk-stream.c
build/fuzz/fuzz-qcow2: tests/img/fuzz-qcow2.c tests/img/fuzz-mem.h $(FUZZ_SRCS) block/block.h block/qcow2.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ tests/img/fuzz-qcow2.c $(FUZZ_SRCS) -lz -lzstd
fuzz-qcow2: build/fuzz/fuzz-qcow2
	@[ -d build/fuzz/corpus ] || tests/img/fuzz-seeds.sh build/fuzz/corpus
	build/fuzz/fuzz-qcow2 -max_total_time=$(FUZZ_TIME) -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus
.PHONY: fuzz-qcow2
BENCHES += tests/img/bench.sh

# libFuzzer target over the format probe (block/probe.c): make fuzz-probe [FUZZ_TIME=600]
build/fuzz/fuzz-probe: tests/img/fuzz-probe.c block/probe.c block/probe.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ tests/img/fuzz-probe.c block/probe.c
fuzz-probe: build/fuzz/fuzz-probe
	@mkdir -p build/fuzz/probe-corpus
	build/fuzz/fuzz-probe -max_total_time=$(FUZZ_TIME) -max_len=1024 -artifact_prefix=build/fuzz/ build/fuzz/probe-corpus
.PHONY: fuzz-probe

# libFuzzer targets over the foreign format parsers (tests/img/fuzz-fmt.c, one build per format):
# make fuzz-vmdk fuzz-vhd fuzz-vdi fuzz-vhdx [FUZZ_TIME=600]; make fuzz-img runs the four in turn.
FMT_FUZZ := vmdk:vmdk vhd:vpc vdi:vdi vhdx:vhdx
define fmt_fuzz
build/fuzz/fuzz-$(1): tests/img/fuzz-fmt.c tests/img/fuzz-mem.h $$(FUZZ_SRCS) block/block.h
	@mkdir -p $$(dir $$@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-DFUZZ_FMT='"$(2)"' -o $$@ tests/img/fuzz-fmt.c $$(FUZZ_SRCS) -lz -lzstd
fuzz-$(1): build/fuzz/fuzz-$(1)
	@[ -d build/fuzz/corpus-$(1) ] || tests/img/fuzz-seeds-fmt.sh $(2) build/fuzz/corpus-$(1)
	build/fuzz/fuzz-$(1) -max_total_time=$$(FUZZ_TIME) -max_len=12582912 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/$(1)- build/fuzz/corpus-$(1)
.PHONY: fuzz-$(1)
endef
$(foreach p,$(FMT_FUZZ),$(eval $(call fmt_fuzz,$(word 1,$(subst :, ,$(p))),$(word 2,$(subst :, ,$(p))))))
fuzz-img: fuzz-vmdk fuzz-vhd fuzz-vdi fuzz-vhdx
.PHONY: fuzz-img
