# vmon: one Makefile; each folder adds its sources, tests and benchmarks in its own build.mk.
#   make            build/vmon
#   make test       unit + golden + guest tests, then the ASan/UBSan pass (reduced set)
#   make bench      benchmarks against QEMU, measured in the same run
CC      ?= gcc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   ?= build
SANFLAGS :=
OPT     := -O2
endif
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -I. -MMD -MP $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) -pthread
LDLIBS  := -lz -lzstd -ljson-c -lslirp -lm

# Filled by the build.mk fragments:
VMON_SRCS :=          # sources of build/vmon (main.c last, everything else goes into libvmon.a)
TEST_LIB_SRCS :=      # test-only code (the soft CPU's flat runner): libvmon-test.a, never in build/vmon
UNIT_TESTS :=         # foo/bar_test.c files: each becomes $(BUILD)/foo/bar_test, linked with
                      # libvmon-test.a + libvmon.a + cmocka
INTEG_TESTS :=        # scripts run by tests/run.sh with VMON=$(BUILD)/vmon, exit 0 pass / 77 skip
QUICK_TESTS :=        # the subset of INTEG_TESTS the ASan/UBSan pass runs
BENCHES :=            # scripts run by make bench
TEST_DEPS :=          # extra targets (test guests, helper programs) to build before tests

all: $(BUILD)/vmon

include $(sort $(wildcard */build.mk */*/build.mk */*/*/build.mk))

LIB_SRCS  := $(filter-out main.c,$(VMON_SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_TESTS:%.c=$(BUILD)/%)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libvmon.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libvmon-test.a: $(TEST_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/vmon: $(BUILD)/main.o $(BUILD)/libvmon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A test's own objects (a build.mk may add some, e.g. a rig) before the archives they draw on.
$(UNIT_BINS): $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libvmon-test.a $(BUILD)/libvmon.a
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS) -lcmocka

build-tests: $(BUILD)/vmon $(UNIT_BINS) $(TEST_DEPS)

# The full pass, then the ASan/UBSan build of the same tree running the quick set.
test: build-tests
	BUILD=$(BUILD) VMON=$(BUILD)/vmon tests/run.sh $(UNIT_BINS) $(INTEG_TESTS)
ifeq ($(SAN),0)
	$(MAKE) --no-print-directory SAN=1 test-quick
endif

test-quick: build-tests
	BUILD=$(BUILD) VMON=$(BUILD)/vmon VMON_QUICK=1 tests/run.sh $(UNIT_BINS) $(QUICK_TESTS)

# make fuzz-build: every libFuzzer target built, none run (a target whose source list fell behind
# the code it links fails here first)
FUZZ_BINS := $(sort $(shell grep -ho '^build/fuzz/fuzz-[a-z0-9_-]*:' $(wildcard */build.mk */*/build.mk tests/*/build.mk) | tr -d ':')) \
             $(foreach p,$(FMT_FUZZ),build/fuzz/fuzz-$(word 1,$(subst :, ,$(p))))
fuzz-build: $(FUZZ_BINS)

bench: $(BUILD)/vmon $(TEST_DEPS)
	@set -e; for b in $(BENCHES); do BUILD=$(BUILD) VMON=$(BUILD)/vmon $$b || [ $$? -eq 77 ]; done

clean:
	rm -rf build

.PHONY: all test test-quick build-tests bench clean fuzz-build
# (not inside the guest disk material, whose Debian tree has files such as invoke-rc.d)
-include $(shell find $(BUILD) \( -path $(BUILD)/debian-disk -o -path $(BUILD)/debian-disk-efi -o -path $(BUILD)/debian-root \) -prune -o -name '*.d' -type f -print 2>/dev/null)
