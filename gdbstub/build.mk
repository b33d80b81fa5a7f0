# gdbstub/: the gdb remote-protocol server (-gdb, -s): framing, the command dispatcher over struct
# gdb_ops (so tests and the fuzz target drive it against a fake machine), the register views and
# target description, and the socket thread. It operates the machine through machine/vm.h only.
VMON_SRCS += gdbstub/packet.c gdbstub/regs.c gdbstub/cmd.c gdbstub/bp.c gdbstub/query.c \
             gdbstub/machine.c gdbstub/listen.c gdbstub/server.c
UNIT_TESTS += gdbstub/cmd_test.c

# libFuzzer target over the packet receiver and the dispatcher (fake machine): make fuzz-gdb [FUZZ_TIME=600]
GDB_FUZZ_SRCS := gdbstub/packet.c gdbstub/regs.c gdbstub/cmd.c gdbstub/bp.c gdbstub/query.c
build/fuzz/fuzz-gdb: gdbstub/fuzz-gdb.c gdbstub/fake-machine.h $(GDB_FUZZ_SRCS) gdbstub/cmd.h gdbstub/packet.h gdbstub/regs.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ gdbstub/fuzz-gdb.c $(GDB_FUZZ_SRCS)
fuzz-gdb: build/fuzz/fuzz-gdb
	@mkdir -p build/fuzz/gdb-corpus
	@[ -n "$$(ls build/fuzz/gdb-corpus)" ] || gdbstub/fuzz-seeds.sh build/fuzz/gdb-corpus
	build/fuzz/fuzz-gdb -max_total_time=$(FUZZ_TIME) -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/gdb- build/fuzz/gdb-corpus
.PHONY: fuzz-gdb

# The test guest with debug info (a 64-bit ELF entered in long mode), and the gdb integration tests.
$(BUILD)/gdb-guest/gdb-guest.elf: gdbstub/guest/gdb-guest.c gdbstub/guest/entry.S gdbstub/guest/guest.ld
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O0 -g -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -fno-stack-protector \
		-fcf-protection=none -mgeneral-regs-only -mno-red-zone -m64 -Wall -Wextra -Werror \
		-c gdbstub/guest/gdb-guest.c -o $(BUILD)/gdb-guest/gdb-guest.o
	$(CC) -m64 -g -c gdbstub/guest/entry.S -o $(BUILD)/gdb-guest/entry.o
	ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments -T gdbstub/guest/guest.ld \
		-o $@ $(BUILD)/gdb-guest/entry.o $(BUILD)/gdb-guest/gdb-guest.o
TEST_DEPS += $(BUILD)/gdb-guest/gdb-guest.elf
INTEG_TESTS += gdbstub/gdb-soft_test.sh gdbstub/gdb-kvm_test.sh gdbstub/gdb-wire_test.sh gdbstub/gdb-linux_test.sh
QUICK_TESTS += gdbstub/gdb-soft_test.sh gdbstub/gdb-wire_test.sh
