# Linux boot tests (issue 4): Debian 12's kernels under --accel soft. They skip (exit 77) until the
# guest material exists: `make guest-linux` fetches both kernels and builds the initramfs.
INTEG_TESTS += tests/linux/boot.sh tests/linux/smp.sh tests/linux/generic.sh tests/linux/triple-fault.sh \
               tests/linux/irqoff-sigterm.sh tests/linux/irqoff-ctrl-a.sh
BENCHES += tests/linux/bench-boot.sh

guest-linux:
	FLAVOUR=all scripts/fetch-guest.sh
.PHONY: guest-linux
