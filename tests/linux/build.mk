# Linux boot tests (issue 4): Debian 12's kernels under --accel soft. They skip (exit 77) until the
# guest material exists: `make guest-linux` fetches the cloud and generic kernels and builds their
# initramfs; `make guest-linux-every` also fetches the PREEMPT_RT and 6.12 kernels (rt.sh, linux-6.12.sh).
INTEG_TESTS += tests/linux/boot.sh tests/linux/smp.sh tests/linux/generic.sh tests/linux/rt.sh \
               tests/linux/linux-6.12.sh tests/linux/triple-fault.sh tests/linux/irqoff-sigterm.sh \
               tests/linux/irqoff-ctrl-a.sh tests/linux/interp.sh tests/linux/cpu-models.sh \
               tests/linux/pci.sh tests/linux/virtio-blk.sh tests/linux/virtio-blk-ext4.sh \
               tests/linux/virtio-devs.sh tests/linux/virtio-net.sh tests/linux/virtio-net-tap.sh \
               tests/linux/virtio-irq.sh tests/linux/virtio-transports.sh tests/linux/kvm-pv.sh \
               tests/linux/virtio-net-garbage.sh tests/linux/console-input.sh
BENCHES += tests/linux/bench-boot.sh tests/linux/bench-boot-generic.sh tests/linux/bench-virtio.sh tests/linux/bench-net.sh

guest-linux:
	FLAVOUR=all scripts/fetch-guest.sh
guest-linux-every:
	FLAVOUR=every scripts/fetch-guest.sh
.PHONY: guest-linux guest-linux-every
