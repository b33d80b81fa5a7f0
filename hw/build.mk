VMON_SRCS += hw/pc-soft.c
VMON_SRCS += hw/vm.c hw/cpu-dump.c hw/eventloop.c hw/pc.c hw/stdio.c hw/serial.c hw/i8042.c \
             hw/rtc.c hw/acpi-pm.c hw/debug-exit.c hw/fw_cfg.c hw/pc-testdev.c
UNIT_TESTS += hw/serial_test.c hw/fw_cfg_test.c hw/debug-exit_test.c
