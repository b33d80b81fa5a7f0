# Block layer (raw, qcow2) and vmon img's subcommands beyond tools/img.c.
VMON_SRCS += block/block.c block/file.c block/raw.c block/qcow2.c block/qcow2-cluster.c \
             block/qcow2-refcount.c block/qcow2-cache.c block/qcow2-check.c block/qcow2-snapshot.c
VMON_SRCS += tools/img-convert.c tools/img-snapshot.c

# Test driver for workloads, crash and power-loss tests (tests/img/blkio.c).
TEST_DEPS += $(BUILD)/tests/img/blkio
$(BUILD)/tests/img/blkio: $(BUILD)/tests/img/blkio.o $(BUILD)/libvmon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

UNIT_TESTS += block/qcow2-refcount_test.c
INTEG_TESTS += tests/img/golden.sh tests/img/interop.sh tests/img/crash.sh
QUICK_TESTS += tests/img/golden.sh tests/img/interop.sh tests/img/crash.sh
