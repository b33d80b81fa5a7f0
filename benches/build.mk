# Benchmarks of the KVM path: the PIO-exit guest (a multiboot ELF) and the vmon-vs-QEMU script.
BENCH_GUEST_CFLAGS := -m32 -O2 -ffreestanding -fno-pic -fno-pie -nostdlib -static -fno-stack-protector \
                      -fno-asynchronous-unwind-tables -Wall -Wextra -Werror
$(BUILD)/benches/pio-guest.elf: benches/pio-guest.c benches/pio-guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_GUEST_CFLAGS) -Wl,-T,benches/pio-guest.ld -Wl,--build-id=none \
	    -Wl,--no-warn-rwx-segments -o $@ $<
TEST_DEPS += $(BUILD)/benches/pio-guest.elf
BENCHES += benches/pio-exit.sh
