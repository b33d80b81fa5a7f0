# hw/: the devices, each on its links (a bus, IRQ lines, a stop request, the event loop).
VMON_SRCS += hw/stdio.c hw/serial.c hw/i8042.c hw/rtc.c hw/acpi-pm.c hw/debug-exit.c hw/fw_cfg.c hw/fw_cfg-dma.c \
             hw/pc-testdev.c hw/vga.c hw/vga-text.c hw/vga-state.c hw/ps2-kbd.c hw/term-lines.c hw/term-raw.c
UNIT_TESTS += hw/serial_test.c hw/fw_cfg_test.c hw/fw_cfg-dma_test.c hw/debug-exit_test.c hw/devices_test.c hw/vga_test.c hw/ps2-kbd_test.c hw/term-lines_test.c
# The userspace PC platform's devices (issue 4): interrupt controllers and timers.
VMON_SRCS += hw/pic.c hw/pit.c hw/apic.c hw/apic-state.c hw/apic-x2.c hw/apic-timer.c hw/ioapic.c hw/hpet.c
UNIT_TESTS += hw/pic_test.c hw/pit_test.c hw/apic_test.c hw/ioapic_test.c hw/hpet_test.c
# libFuzzer target over fw_cfg's port and DMA interfaces: make fuzz-fw_cfg [FUZZ_TIME=600]
build/fuzz/fuzz-fw_cfg: hw/fuzz-fw_cfg.c hw/fw_cfg.c hw/fw_cfg-dma.c hw/fw_cfg-int.h hw/fw_cfg.h mm/memory.c mm/pam.c mm/dirty.c
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/fuzz-fw_cfg.c hw/fw_cfg.c hw/fw_cfg-dma.c mm/memory.c mm/pam.c mm/dirty.c
fuzz-fw_cfg: build/fuzz/fuzz-fw_cfg
	@mkdir -p build/fuzz/fw_cfg-corpus
	build/fuzz/fuzz-fw_cfg -max_total_time=$(FUZZ_TIME) -max_len=70000 -timeout=10 \
		-artifact_prefix=build/fuzz/fw_cfg- build/fuzz/fw_cfg-corpus
.PHONY: fuzz-fw_cfg
# libFuzzer target over the i8042 + PS/2 keyboard and the VGA with its mirror: make fuzz-legacy
build/fuzz/fuzz-legacy: hw/fuzz-legacy.c hw/i8042.c hw/ps2-kbd.c hw/vga.c hw/vga-text.c hw/term-lines.c mm/bus.c mm/memory.c mm/pam.c mm/dirty.c migration/vmstate.c
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/fuzz-legacy.c hw/i8042.c hw/ps2-kbd.c hw/vga.c hw/vga-text.c hw/term-lines.c mm/bus.c mm/memory.c mm/pam.c mm/dirty.c migration/vmstate.c -lz
fuzz-legacy: build/fuzz/fuzz-legacy
	@mkdir -p build/fuzz/legacy-corpus
	build/fuzz/fuzz-legacy -max_total_time=$(FUZZ_TIME) -max_len=140000 -timeout=10 \
		-artifact_prefix=build/fuzz/legacy- build/fuzz/legacy-corpus
.PHONY: fuzz-legacy
