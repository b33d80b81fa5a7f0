# monitor/: operating a running VM: QMP (json-c) and the human monitor, on sockets served by the
# VM's event loop. It drives the machine through machine/vm.h only.
VMON_SRCS += monitor/qmp.c monitor/qmp-job.c monitor/hmp.c monitor/server.c monitor/console.c monitor/translate.c monitor/migration.c
UNIT_TESTS += monitor/qmp_test.c
INTEG_TESTS += monitor/qmp_test.sh monitor/hmp_test.sh monitor/powerdown-linux.sh monitor/reset-linux.sh
QUICK_TESTS += monitor/qmp_test.sh

# libFuzzer target over the QMP stream parser and dispatcher (monitor/fuzz-qmp.c, seeds and a dictionary
# from monitor/fuzz-qmp-seeds.sh): make fuzz-qmp [FUZZ_TIME=600]. Built from every vmon source, since
# human-monitor-command reaches the machine.
build/fuzz/fuzz-qmp: monitor/fuzz-qmp.c monitor/qmp.c monitor/qmp-job.c monitor/qmp.h monitor/hmp.c monitor/translate.c monitor/migration.c \
		machine/translate.c machine/vm.h
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ monitor/fuzz-qmp.c $(LIB_SRCS) -lz -lzstd -ljson-c -lslirp -lm
fuzz-qmp: build/fuzz/fuzz-qmp
	@[ -d build/fuzz/qmp-corpus ] || monitor/fuzz-qmp-seeds.sh build/fuzz/qmp-corpus build/fuzz/qmp.dict
	build/fuzz/fuzz-qmp -max_total_time=$(FUZZ_TIME) -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-dict=build/fuzz/qmp.dict -artifact_prefix=build/fuzz/qmp- build/fuzz/qmp-corpus
.PHONY: fuzz-qmp
