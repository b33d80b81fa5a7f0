# hw/: the devices, each on its links (a bus, IRQ lines, a stop request, the event loop).
VMON_SRCS += hw/stdio.c hw/serial.c hw/i8042.c hw/rtc.c hw/acpi-pm.c hw/debug-exit.c hw/fw_cfg.c hw/fw_cfg-dma.c \
             hw/pc-testdev.c
UNIT_TESTS += hw/serial_test.c hw/fw_cfg_test.c hw/fw_cfg-dma_test.c hw/debug-exit_test.c hw/devices_test.c
# The userspace PC platform's devices (issue 4): interrupt controllers and timers.
VMON_SRCS += hw/pic.c hw/pit.c hw/apic.c hw/apic-x2.c hw/apic-timer.c hw/ioapic.c hw/hpet.c
UNIT_TESTS += hw/pic_test.c hw/pit_test.c hw/apic_test.c hw/ioapic_test.c hw/hpet_test.c
