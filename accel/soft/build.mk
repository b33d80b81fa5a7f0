VMON_SRCS += accel/soft/soft.c
