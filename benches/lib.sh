# Sourced by make bench's scripts (tests/*/bench-*.sh): the defaults they share and their header.
# Env: BUILD (build), VMON ($BUILD/vmon), QEMU (qemu-system-x86_64), BENCH_KERNEL and BENCH_INITRD
# (the guest material of make guest-linux).
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
QEMU=${QEMU:-qemu-system-x86_64}
KERNEL=${BENCH_KERNEL:-$BUILD/guest/bzImage}
INITRD=${BENCH_INITRD:-$BUILD/guest/initramfs.cpio.gz}

# bench_header TITLE: "== TITLE (date)" and the host line: CPU, count and load (on a shared machine
# wall times also measure the neighbours).
bench_header() {
    echo "== $1 ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
}
