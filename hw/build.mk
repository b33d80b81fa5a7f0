VMON_SRCS += hw/pc-soft.c
