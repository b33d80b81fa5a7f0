VMON_SRCS += tools/run.c tools/run-args.c tools/run-drive.c tools/run-ide.c tools/run-vdev-args.c tools/run-net.c
UNIT_TESTS += tools/run-args_test.c tools/run-vdev-args_test.c tools/run-net_test.c
INTEG_TESTS += tools/run-cli_test.sh
QUICK_TESTS += tools/run-cli_test.sh
