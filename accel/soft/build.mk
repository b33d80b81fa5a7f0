# The software CPU (accel/soft): decoder, translation blocks, interpreter, MMU, system instructions.
VMON_SRCS += accel/soft/soft.c accel/soft/snapshot.c accel/soft/dirty.c accel/soft/exec.c accel/soft/deliver.c accel/soft/tb.c \
             accel/soft/decode.c accel/soft/opcodes.c accel/soft/flags.c accel/soft/mem.c \
             accel/soft/mmu.c accel/soft/tlb.c accel/soft/seg.c accel/soft/msr.c accel/soft/paravirt.c \
             accel/soft/cpuid.c \
             accel/soft/trace.c accel/soft/op-alu.c accel/soft/op-mov.c accel/soft/op-shift.c \
             accel/soft/op-muldiv.c accel/soft/op-bit.c accel/soft/op-string.c \
             accel/soft/op-stack.c accel/soft/op-branch.c accel/soft/op-system.c \
             accel/soft/fast-move.c accel/soft/fast-int.c accel/soft/fast-alu-cc.c \
             accel/soft/op-sse.c accel/soft/op-sse-fp.c \
             accel/soft/op-sse-int.c accel/soft/op-sse4.c accel/soft/op-sse-mmx.c \
             accel/soft/op-x87.c accel/soft/op-x87-host.c accel/soft/seg-gate.c \
             accel/soft/debug.c accel/soft/task.c accel/soft/jit.c accel/soft/jit-mem.c \
             accel/soft/jit-flags.c accel/soft/jit-record.c accel/soft/jit-alu.c accel/soft/jit-alu8.c accel/soft/jit-alu16.c \
             accel/soft/jit-shift.c accel/soft/jit-grp2.c accel/soft/jit-unary.c \
             accel/soft/jit-move.c accel/soft/jit-move8.c accel/soft/jit-branch.c \
             accel/soft/jit-string.c accel/soft/jit-lock.c \
             accel/soft/jit-chain.c accel/soft/jit-loop.c accel/soft/jit-link.c accel/soft/jit-regs.c \
             accel/soft/jit-regs-plan.c accel/soft/jit-sse.c
# The flat runner (one CPU on host buffers, no VM): only tests/isa and the unit tests below use it.
TEST_LIB_SRCS += accel/soft/flat.c
UNIT_TESTS += accel/soft/flat_test.c accel/soft/mmu_test.c accel/soft/dirty-tlb_test.c accel/soft/flags_test.c \
              accel/soft/jit_test.c accel/soft/jit_move8_test.c accel/soft/jit_unary_test.c accel/soft/jit_alu16_test.c \
              accel/soft/jit_alu8_test.c accel/soft/jit_bit_test.c accel/soft/jit_grp2_test.c accel/soft/jit_branch_test.c \
              accel/soft/jit_sse_test.c \
              accel/soft/jit_string_test.c accel/soft/jit_lock_test.c accel/soft/jit_link_test.c accel/soft/jit_loop_test.c \
              accel/soft/jit_regs_test.c \
              accel/soft/vendor_test.c accel/soft/cpuid_test.c accel/soft/paravirt_test.c
INTEG_TESTS += accel/soft/run-soft_test.sh
QUICK_TESTS += accel/soft/run-soft_test.sh
# make bench: the loop bench of issue 3 is tests/isa/bench; Linux boot times are tests/linux's.

# libFuzzer target: the translator against the interpreter on generated and raw code, faults and
# self-modifying code included (accel/soft/fuzz-jit.c): make fuzz-jit [FUZZ_TIME=600].
FUZZ_JIT_SRCS := $(filter-out accel/soft/soft.c accel/soft/snapshot.c,$(filter accel/soft/%,$(VMON_SRCS))) \
                 accel/soft/flat.c accel/soft/fuzz-jit.c accel/soft/fuzz-jit-gen.c mm/memory.c mm/pam.c mm/dirty.c
build/fuzz/fuzz-jit: $(FUZZ_JIT_SRCS) $(wildcard accel/soft/*.h) accel/cpu-model.c accel/cpuid.c
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $(FUZZ_JIT_SRCS) accel/cpu-model.c accel/cpuid.c -lm
fuzz-jit: build/fuzz/fuzz-jit
	@mkdir -p build/fuzz/jit-corpus
	build/fuzz/fuzz-jit -max_total_time=$(FUZZ_TIME) -max_len=512 -len_control=0 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/jit- build/fuzz/jit-corpus
.PHONY: fuzz-jit
