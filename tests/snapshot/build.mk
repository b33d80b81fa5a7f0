# Snapshot tests (issue 18): the counting guest (a multiboot ELF) saved and restored under each
# accelerator, Linux guests under the soft CPU (a qcow2 virtio-blk disk; virtio-net + virtio-rng; IDE
# disk + CD; virtio-mmio disk + virtio-serial + vsock), and refused files.
SNAP_GUEST_CFLAGS := -m32 -O2 -ffreestanding -fno-pic -fno-pie -nostdlib -static -fno-stack-protector \
                     -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -Wall -Wextra -Werror
$(BUILD)/snapshot/count-guest.elf: tests/snapshot/count-guest.c benches/pio-guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(SNAP_GUEST_CFLAGS) -Wl,-T,benches/pio-guest.ld -Wl,--build-id=none \
	    -Wl,--no-warn-rwx-segments -o $@ $<
TEST_DEPS += $(BUILD)/snapshot/count-guest.elf
INTEG_TESTS += tests/snapshot/count-soft.sh tests/snapshot/count-kvm.sh tests/snapshot/refuse.sh \
               tests/snapshot/linux-blk.sh tests/snapshot/savevm.sh \
               tests/snapshot/firmware.sh tests/snapshot/linux-savevm.sh \
               tests/snapshot/linux-net.sh tests/snapshot/linux-ide.sh tests/snapshot/linux-vdev.sh \
               tests/snapshot/linux-net-tap.sh
QUICK_TESTS += tests/snapshot/refuse.sh tests/snapshot/count-soft.sh tests/snapshot/savevm.sh
# make bench: restore-to-running of a 512 MiB Linux guest against QEMU TCG (bench_restore.py)
BENCHES += tests/snapshot/bench-restore.sh
