VMON_SRCS += accel/kvm/kvm.c accel/kvm/dirty.c accel/kvm/pam.c accel/kvm/vcpu.c accel/kvm/snapshot.c accel/kvm/irqchip-state.c accel/kvm/irqchip-conv.c accel/kvm/exit.c accel/kvm/debug.c accel/kvm/cpuid.c \
             accel/kvm/eventfd.c accel/kvm/routing.c
UNIT_TESTS += accel/kvm/guest_test.c
UNIT_TESTS += accel/kvm/exit_test.c accel/kvm/cpuid_test.c accel/kvm/xsave_test.c
INTEG_TESTS += accel/kvm/run-kvm_test.sh
QUICK_TESTS += accel/kvm/run-kvm_test.sh
