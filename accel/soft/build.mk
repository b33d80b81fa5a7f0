# The software CPU (accel/soft): decoder, translation blocks, interpreter, MMU, system instructions.
VMON_SRCS += accel/soft/soft.c accel/soft/snapshot.c accel/soft/dirty.c accel/soft/exec.c accel/soft/tb.c \
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
             accel/soft/jit-flags.c accel/soft/jit-alu.c accel/soft/jit-shift.c accel/soft/jit-move.c \
             accel/soft/jit-chain.c accel/soft/jit-string.c accel/soft/jit-lock.c
# The flat runner (one CPU on host buffers, no VM): only tests/isa and the unit tests below use it.
TEST_LIB_SRCS += accel/soft/flat.c
UNIT_TESTS += accel/soft/flat_test.c accel/soft/mmu_test.c accel/soft/dirty-tlb_test.c accel/soft/flags_test.c accel/soft/jit_test.c \
              accel/soft/jit_string_test.c accel/soft/jit_lock_test.c \
              accel/soft/vendor_test.c accel/soft/cpuid_test.c accel/soft/paravirt_test.c
INTEG_TESTS += accel/soft/run-soft_test.sh
QUICK_TESTS += accel/soft/run-soft_test.sh
# make bench: the loop bench of issue 3 is tests/isa/bench; Linux boot times are tests/linux's.
