VMON_SRCS += hw/pc-soft.c
# The userspace PC platform for the software CPU (issue 4): interrupt controllers, timers, TSC.
VMON_SRCS += hw/clock.c hw/tsc.c hw/pic.c hw/pit.c hw/apic.c hw/apic-timer.c
UNIT_TESTS += hw/tsc_test.c hw/pic_test.c hw/pit_test.c hw/apic_test.c
