# migration/: the VM state file's format (vmstate.h): header, tagged sections, checked readers. A leaf:
# it includes only util/ and migration/, so devices (hw/), the machine and the accelerators all use it.
VMON_SRCS += migration/vmstate.c migration/stream.c migration/channel.c
UNIT_TESTS += migration/vmstate_test.c migration/stream_test.c

# libFuzzer target over the state file's loader (migration/fuzz-vmstate.c: header, section list and
# every device's loader): make fuzz-vmstate [FUZZ_TIME=600]. Seeds: state files the snapshot tests'
# counting guest saves (tests/snapshot/fuzz-seeds.sh), cut to their first MiB of RAM.
build/fuzz/fuzz-vmstate: migration/fuzz-vmstate.c migration/vmstate.c migration/vmstate.h machine/snapshot-cpu.c
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ migration/fuzz-vmstate.c $(LIB_SRCS) -lz -lzstd -ljson-c -lslirp -lm
fuzz-vmstate: build/fuzz/fuzz-vmstate
	@[ -d build/fuzz/vmstate-corpus ] || tests/snapshot/fuzz-seeds.sh build/fuzz/vmstate-corpus
	build/fuzz/fuzz-vmstate -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/vmstate- build/fuzz/vmstate-corpus
.PHONY: fuzz-vmstate

# libFuzzer target over the live migration stream's parser (migration/fuzz-migstream.c): make
# fuzz-migstream [FUZZ_TIME=600]. Seeds: small streams built by migration/fuzz-migstream-seeds.py.
build/fuzz/fuzz-migstream: migration/fuzz-migstream.c migration/stream.c migration/stream.h migration/vmstate.c
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ migration/fuzz-migstream.c migration/stream.c migration/vmstate.c -lz
fuzz-migstream: build/fuzz/fuzz-migstream
	@[ -d build/fuzz/migstream-corpus ] || python3 migration/fuzz-migstream-seeds.py build/fuzz/migstream-corpus
	build/fuzz/fuzz-migstream -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/migstream- build/fuzz/migstream-corpus
.PHONY: fuzz-migstream
