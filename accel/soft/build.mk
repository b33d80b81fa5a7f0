# The software CPU (accel/soft): decoder, translation blocks, interpreter, MMU, system instructions.
VMON_SRCS += accel/soft/soft.c accel/soft/flat.c accel/soft/exec.c accel/soft/tb.c \
             accel/soft/decode.c accel/soft/opcodes.c accel/soft/flags.c accel/soft/mem.c \
             accel/soft/mmu.c accel/soft/seg.c accel/soft/msr.c accel/soft/cpuid.c \
             accel/soft/trace.c accel/soft/op-alu.c accel/soft/op-mov.c accel/soft/op-shift.c \
             accel/soft/op-muldiv.c accel/soft/op-bit.c accel/soft/op-string.c \
             accel/soft/op-stack.c accel/soft/op-branch.c accel/soft/op-system.c \
             accel/soft/op-fast.c accel/soft/op-sse.c accel/soft/op-x87.c
UNIT_TESTS += accel/soft/flat_test.c accel/soft/mmu_test.c
INTEG_TESTS += accel/soft/linux-boot_test.sh
INTEG_TESTS += accel/soft/run-soft_test.sh
QUICK_TESTS += accel/soft/run-soft_test.sh
# make bench: guest instructions per second of the soft CPU on three loops, against the host running
# the same code natively and against qemu-system-x86_64 -accel tcg running the same guest.
SOFT_BENCH_GUEST_CFLAGS := -m32 -O2 -ffreestanding -fno-pic -fno-pie -nostdlib -static -fno-stack-protector \
                           -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -I.
$(BUILD)/accel/soft/bench/guest.elf: accel/soft/bench/guest.c accel/soft/bench/loops.h benches/pio-guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(SOFT_BENCH_GUEST_CFLAGS) -Wl,-T,benches/pio-guest.ld -Wl,--build-id=none \
	    -Wl,--no-warn-rwx-segments -o $@ $<
$(BUILD)/accel/soft/bench/native: accel/soft/bench/native.c accel/soft/bench/loops.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -I. -Wall -Wextra -Werror -o $@ $<
TEST_DEPS += $(BUILD)/accel/soft/bench/guest.elf $(BUILD)/accel/soft/bench/native
BENCHES += accel/soft/bench/soft-bench.sh
BENCHES += accel/soft/bench/linux-boot-bench.sh
