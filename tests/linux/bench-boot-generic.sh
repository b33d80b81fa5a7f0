#!/usr/bin/env bash
# tests/linux/bench-boot.sh on Debian's generic kernel (make guest-linux puts it in build/guest/generic)
# rather than the cloud one: the generic image is XZ-compressed, so its boot also measures the
# software CPU on the kernel's own decompressor.
BUILD=${BUILD:-build}
export BENCH_KERNEL=${BENCH_KERNEL:-$BUILD/guest/generic/bzImage}
export BENCH_INITRD=${BENCH_INITRD:-$BUILD/guest/generic/initramfs.cpio.gz}
exec "$(dirname "$0")/bench-boot.sh" "$@"
