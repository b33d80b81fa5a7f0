# monitor/: operating a running VM: QMP (json-c) and the human monitor, on sockets served by the
# VM's event loop. It drives the machine through machine/vm.h only.
VMON_SRCS += monitor/qmp.c monitor/hmp.c monitor/server.c monitor/console.c monitor/translate.c
UNIT_TESTS += monitor/qmp_test.c
INTEG_TESTS += monitor/qmp_test.sh monitor/hmp_test.sh monitor/powerdown-linux.sh
QUICK_TESTS += monitor/qmp_test.sh
