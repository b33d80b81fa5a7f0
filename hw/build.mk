VMON_SRCS += hw/pc-soft.c
VMON_SRCS += hw/vm.c hw/cpu-dump.c hw/eventloop.c hw/pc.c hw/stdio.c hw/serial.c hw/i8042.c \
             hw/rtc.c hw/acpi-pm.c hw/debug-exit.c hw/fw_cfg.c hw/pc-testdev.c
UNIT_TESTS += hw/serial_test.c hw/fw_cfg_test.c hw/debug-exit_test.c hw/devices_test.c hw/vm_test.c
# The userspace PC platform for the software CPU (issue 4): interrupt controllers, timers, TSC.
VMON_SRCS += hw/clock.c hw/tsc.c hw/pic.c hw/pit.c hw/apic.c hw/apic-timer.c hw/ioapic.c hw/hpet.c
UNIT_TESTS += hw/tsc_test.c hw/pic_test.c hw/pit_test.c hw/apic_test.c hw/ioapic_test.c hw/pc-soft_test.c hw/pc-soft-live_test.c hw/hpet_test.c
