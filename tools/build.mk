VMON_SRCS += tools/run.c tools/img.c
