#!/usr/bin/env bash
# virtio-blk throughput inside Debian's Linux, vmon --accel soft vs qemu-system-x86_64 -accel tcg,
# in one run: the same kernel, initramfs, raw image and device (virtio-blk-pci), the same fio job
# file (tests/linux/bench-virtio.fio: sequential 1 MiB and random 4 KiB, read and write, O_DIRECT
# on /dev/vda). fio and its shared libraries (with the loader) come from Debian's packages
# (apt-get download, cached in build/bench-virtio/) as an uncompressed cpio put in front of the
# test initramfs. Prints MB/s and IOPS per job and the ratio vmon/QEMU (> 1: vmon is faster).
# Env: QEMU, BENCH_MEM (default 1G).
set -u
. "$(dirname "$0")/../../benches/lib.sh"
MEM=${BENCH_MEM:-1G}
JOBS=tests/linux/bench-virtio.fio
DIR=$BUILD/bench-virtio
TIMEOUT=900

bench_header "virtio-blk with fio: vmon --accel soft vs QEMU -accel tcg"
skip() { echo "skip: $*"; exit 0; }
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || skip "$KERNEL or $INITRD missing (make guest-linux)"

# fio.cpio: /usr/bin/fio, every library it loads (ldd against the extracted packages, then the
# host's for what those do not hold), the loader, and the job file as /bench.fio.
make_fio_cpio() {
    local debs=$DIR/debs sys=$DIR/sys stage=$DIR/stage
    rm -rf "$sys" "$stage"
    mkdir -p "$debs" "$sys" "$stage/usr/bin" "$stage/lib/x86_64-linux-gnu" "$stage/lib64"
    # fio links its rbd, rados, gluster, nbd and pmem engines in (BIND_NOW): all must be there.
    local pkgs
    pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
               --no-replaces --no-enhances --no-pre-depends fio 2>/dev/null | grep -v '^ ' | grep -v '<' |
           grep -E '^(fio|lib)' | grep -vx 'libc6\|libc-bin\|libgcc-s1' | sort -u)
    [ -n "$pkgs" ] || return 1
    (cd "$debs" && apt-get download $pkgs >/dev/null 2>&1) || return 1
    for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$sys" || return 1; done
    local libpath
    libpath=$(find "$sys" -name '*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
    cp "$sys/usr/bin/fio" "$stage/usr/bin/" || return 1
    local libs
    libs=$(LD_LIBRARY_PATH=$libpath ldd "$sys/usr/bin/fio") || return 1
    grep -q 'not found' <<<"$libs" && { echo "$libs" | grep 'not found'; return 1; }
    awk '/=>/ { print $3 }' <<<"$libs" | while read -r l; do cp -L "$l" "$stage/lib/x86_64-linux-gnu/"; done
    cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/" || return 1
    cp "$JOBS" "$stage/bench.fio"
    (cd "$stage" && find . | cpio -o -H newc --quiet) > "$DIR/fio.cpio" || return 1
    rm -rf "$sys" "$stage"
}
mkdir -p "$DIR"
if [ ! -f "$DIR/fio.cpio" ] || [ "$JOBS" -nt "$DIR/fio.cpio" ]; then
    make_fio_cpio || skip "could not assemble fio from Debian's packages (apt-get download)"
fi
cat "$DIR/fio.cpio" "$INITRD" > "$DIR/initrd"
img=$DIR/disk.raw
head -c $((128 << 20)) /dev/urandom > "$img"
echo "guest: $KERNEL, $INITRD + fio ($(stat -c %s "$DIR/fio.cpio") bytes), $MEM, raw image 128 MiB"

cmd='/usr/bin/fio --output-format=terse --terse-version=3 /bench.fio'
append="console=ttyS0 quiet vmon.cmd64=$(printf '%s' "$cmd" | base64 -w0)"

# run NAME CMD...: the guest's terse fio lines ("3;fio-...") into $DIR/NAME.out.
run() {
    local name=$1
    shift
    timeout "$TIMEOUT" "$@" </dev/null 2>&1 | tr -d '\r' > "$DIR/$name.log"
    grep -a '^3;fio-' "$DIR/$name.log" > "$DIR/$name.out"
    [ -s "$DIR/$name.out" ] || { echo "$name: no fio results; the end of its log:"; tail -n 15 "$DIR/$name.log"; }
}
run vmon "$VMON" run --accel soft --mem "$MEM" --kernel "$KERNEL" --initrd "$DIR/initrd" \
    --append "$append" --drive "file=$img,format=raw,if=virtio"
if command -v "$QEMU" >/dev/null; then
    run qemu "$QEMU" -accel tcg -m "$MEM" -kernel "$KERNEL" -initrd "$DIR/initrd" -append "$append" \
        -nographic -nodefaults -serial stdio -no-reboot \
        -drive "file=$img,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0
else
    : > "$DIR/qemu.out"
    echo "QEMU: $QEMU not found, its columns are empty"
fi

# cell NAME JOB: "MB/s IOPS" of that job (terse v3: read KiB/s 7, IOPS 8; write KiB/s 48, IOPS 49).
cell() {
    awk -F';' -v j="$2" '$3 == j { bw = $7 + $48; io = $8 + $49; printf "%.1f %d\n", bw / 1024, io; f = 1 }
                         END { if (!f) print "- -" }' "$DIR/$1.out"
}
ratio() { if [ "$1" = - ] || [ "$2" = - ] || [ "$2" = 0 ]; then echo -; else printf "%.2fx" "$(echo "$1 / $2" | bc -l)"; fi; }
printf '%-14s | %-17s | %-17s | %s\n' job "vmon soft" "QEMU tcg" "vmon/QEMU"
printf '%-14s | %8s %8s | %8s %8s | %s\n' "" "MiB/s" IOPS "MiB/s" IOPS ""
printf '%s\n' "---------------+-------------------+-------------------+----------"
for j in seq-read-1m seq-write-1m rand-read-4k rand-write-4k; do
    read -r vb vi <<<"$(cell vmon "$j")"
    read -r qb qi <<<"$(cell qemu "$j")"
    printf '%-14s | %8s %8s | %8s %8s | %s\n' "$j" "$vb" "$vi" "$qb" "$qi" "$(ratio "$vb" "$qb")"
done
echo "ratio = vmon throughput / QEMU throughput (> 1: vmon is faster; target >= 1.0x)"
