# accel/: what both accelerators share: the CPU model (vendor setting, CPUID feature names).
VMON_SRCS += accel/cpu-model.c
UNIT_TESTS += accel/cpu-model_test.c
