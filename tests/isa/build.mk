# tests/isa: the software CPU against the host CPU, snippet by snippet (issue 3).
#   make fuzz-isa SEED=.. N=..   a longer run than make test's fixed-seed corpus
ISA_SRCS := tests/isa/isa-diff.c tests/isa/gen.c tests/isa/gen-state.c tests/isa/forms-int.c \
            tests/isa/forms-x87.c tests/isa/forms-sse.c tests/isa/native.c tests/isa/batch.c \
            tests/isa/compare.c tests/isa/record.c
ISA_OBJS := $(ISA_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/isa/native-stub.o

$(BUILD)/tests/isa/native-stub.o: tests/isa/native-stub.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# soft_flat_run (the flat runner, in libvmon-test.a) and decode_insn are weak references in native.c
# and isa-diff.c; --whole-archive links the runner in, and it pulls in the decoder.
$(BUILD)/tests/isa/isa-diff: $(ISA_OBJS) $(BUILD)/libvmon-test.a $(BUILD)/libvmon.a
	$(CC) $(LDFLAGS) -o $@ $(ISA_OBJS) -Wl,--whole-archive $(BUILD)/libvmon-test.a -Wl,--no-whole-archive \
	    $(BUILD)/libvmon.a $(LDLIBS) -lcapstone

TEST_DEPS += $(BUILD)/tests/isa/isa-diff
INTEG_TESTS += tests/isa/isa-diff.sh tests/isa/isa-diff-jit.sh tests/isa/isa-intel.sh
QUICK_TESTS += tests/isa/isa-diff.sh tests/isa/isa-diff-jit.sh tests/isa/isa-intel.sh

fuzz-isa: $(BUILD)/tests/isa/isa-diff
	$(BUILD)/tests/isa/isa-diff --seed $(or $(SEED),$(shell date +%s)) --count $(or $(N),1000000)
.PHONY: fuzz-isa

# make bench: the loops of tests/isa/bench/loops.h natively, under vmon soft and under QEMU TCG. The
# guest uses the system test guests' library (tests/sysguests/lib, built by that folder's rules).
ISA_BENCH_LIB := entry gdt vectors setjmp probes user output exc
$(BUILD)/isa/bench-native: tests/isa/bench/native.c tests/isa/bench/loops.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I. -o $@ $<
$(BUILD)/isa/bench-guest.o: tests/isa/bench/guest.c tests/isa/bench/loops.h
	@mkdir -p $(dir $@)
	$(SYSG_CC) $(SYSG_CFLAGS64) -I. -c $< -o $@
$(BUILD)/isa/bench-guest.elf: $(BUILD)/isa/bench-guest.o $(ISA_BENCH_LIB:%=$(BUILD)/sysguests/lib64/%.o) tests/sysguests/lib/guest.ld
	ld -m elf_x86_64 -static -nostdlib -z max-page-size=0x1000 -T tests/sysguests/lib/guest.ld -o $@.64 $< $(ISA_BENCH_LIB:%=$(BUILD)/sysguests/lib64/%.o)
	objcopy -O elf32-i386 $@.64 $@
TEST_DEPS += $(BUILD)/isa/bench-native $(BUILD)/isa/bench-guest.elf
BENCHES += tests/isa/bench/bench.sh

# The code-cache guest (tests/isa/cache/guest.c): more code than a small --jit-cache holds.
$(BUILD)/isa/cache-guest.o: tests/isa/cache/guest.c
	@mkdir -p $(dir $@)
	$(SYSG_CC) $(SYSG_CFLAGS64) -I. -c $< -o $@
$(BUILD)/isa/cache-guest.elf: $(BUILD)/isa/cache-guest.o $(ISA_BENCH_LIB:%=$(BUILD)/sysguests/lib64/%.o) tests/sysguests/lib/guest.ld
	ld -m elf_x86_64 -static -nostdlib -z max-page-size=0x1000 -T tests/sysguests/lib/guest.ld -o $@.64 $< $(ISA_BENCH_LIB:%=$(BUILD)/sysguests/lib64/%.o)
	objcopy -O elf32-i386 $@.64 $@
TEST_DEPS += $(BUILD)/isa/cache-guest.elf
INTEG_TESTS += tests/isa/cache/jit-cache.sh
QUICK_TESTS += tests/isa/cache/jit-cache.sh
