VMON_SRCS += tools/run.c tools/run-args.c tools/img.c
