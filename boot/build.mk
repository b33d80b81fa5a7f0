VMON_SRCS += boot/boot.c
