VMON_SRCS += main.c
