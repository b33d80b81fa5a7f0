# accel/: choosing the accelerator (accel.c), and what both share: the CPU model (vendor setting,
# CPUID feature names).
VMON_SRCS += accel/accel.c accel/cpu-model.c accel/cpuid.c
UNIT_TESTS += accel/cpu-model_test.c
