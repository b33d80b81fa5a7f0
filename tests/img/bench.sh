#!/usr/bin/env bash
# make bench: vmon img against qemu-img on the same machine, in the same run.
#  1. convert raw->qcow2 and qcow2->raw of a 1 GiB image with mixed regions (random data, written
#     zeros, holes), and vmdk (streamOptimized as in OVA files, monolithicSparse) -> qcow2; best of
#     BENCH_RUNS (5) runs each (page cache warm, dirty pages synced before each run). Both tools get the
#     same -m (BENCH_M, 8: qemu-img's default): that many workers, writes in order (no -W)
#  2. 4 KiB requests at a scattered offset sequence (qemu-img bench -S step, one request at a time):
#     writes into a fresh qcow2 image (allocating), then reads of a populated one, in IOPS; and
#     reads at qemu-img bench's default queue depth (-d 64), sequential.
# Ratios are vmon's speed over qemu-img's: above 1.0 vmon is faster.
set -eu
VMON=$(realpath "${VMON:-build/vmon}")
command -v qemu-img >/dev/null || { echo "skip: qemu-img (Debian qemu-utils) is not installed"; exit 0; }
T=$(mktemp -d -p "${BENCH_DIR:-/var/tmp}")
trap 'rm -rf "$T"' EXIT
SIZE_MB=${BENCH_SIZE_MB:-1024}
COUNT=${BENCH_COUNT:-40000}

# Per 64 MiB: 24 MiB random data, 8 MiB of written zeros, 16 MiB hole, 16 MiB random data.
head -c $((8 << 20)) /dev/urandom >"$T/rand"
truncate -s "${SIZE_MB}M" "$T/src.raw"
for ((m = 0; m < SIZE_MB; m += 64)); do
    for k in 0 8 16 48 56; do
        dd if="$T/rand" of="$T/src.raw" bs=1M seek=$((m + k)) conv=notrunc status=none
    done
    dd if=/dev/zero of="$T/src.raw" bs=1M seek=$((m + 24)) count=8 conv=notrunc status=none
done
sync

now() { date +%s.%N; }
best_of() {       # best wall time of "$@" over BENCH_RUNS runs; before each: output removed, dirty pages synced
    local best=
    for ((run = 0; run < ${BENCH_RUNS:-5}; run++)); do
        rm -f "$T/out"
        sync
        local t0 t1 d
        t0=$(now); "$@" >/dev/null; t1=$(now)
        d=$(echo "$t1 - $t0" | bc)
        if [ -z "$best" ] || [ "$(echo "$d < $best" | bc)" = 1 ]; then best=$d; fi
    done
    echo "$best"
}
ratio() { echo "scale=2; $1 / $2" | bc; }

printf '%-44s %12s %12s %8s\n' "benchmark (1 GiB, mixed data/zero/holes)" "vmon" "qemu-img" "ratio"
M=${BENCH_M:-8}
v=$(best_of "$VMON" img convert -m "$M" -f raw -O qcow2 "$T/src.raw" "$T/out")
q=$(best_of qemu-img convert -m "$M" -f raw -O qcow2 "$T/src.raw" "$T/out")
printf '%-44s %11.2fs %11.2fs %7sx\n' "convert raw -> qcow2" "$v" "$q" "$(ratio "$q" "$v")"
qemu-img convert -f raw -O qcow2 "$T/src.raw" "$T/src.qcow2"
v=$(best_of "$VMON" img convert -m "$M" -f qcow2 -O raw "$T/src.qcow2" "$T/out")
q=$(best_of qemu-img convert -m "$M" -f qcow2 -O raw "$T/src.qcow2" "$T/out")
printf '%-44s %11.2fs %11.2fs %7sx\n' "convert qcow2 -> raw" "$v" "$q" "$(ratio "$q" "$v")"
for sub in streamOptimized monolithicSparse; do
    qemu-img convert -f raw -O vmdk -o subformat=$sub "$T/src.raw" "$T/src.vmdk"
    v=$(best_of "$VMON" img convert -m "$M" -f vmdk -O qcow2 "$T/src.vmdk" "$T/out")
    q=$(best_of qemu-img convert -m "$M" -f vmdk -O qcow2 "$T/src.vmdk" "$T/out")
    printf '%-44s %11.2fs %11.2fs %7sx\n' "convert vmdk ($sub) -> qcow2" "$v" "$q" "$(ratio "$q" "$v")"
    "$VMON" img convert -f vmdk -O qcow2 "$T/src.vmdk" "$T/check.qcow2"
    qemu-img compare -q "$T/src.raw" "$T/check.qcow2" || { echo "FAIL: vmon's qcow2 from $sub vmdk differs"; exit 1; }
done
"$VMON" img convert -f raw -O qcow2 "$T/src.raw" "$T/check.qcow2"
qemu-img compare -q "$T/src.raw" "$T/check.qcow2" || { echo "FAIL: vmon's converted image differs"; exit 1; }

iops() {          # tool, w or r, image[, depth and step]: IOPS of COUNT 4 KiB requests
    local args=(-c "$COUNT" -d "${4:-1}" -s 4k -S "${5:-7919k}" -f qcow2)
    [ "$2" = w ] && args+=(-w)
    [ "$1" = qemu-img ] && args+=(-t writeback)
    local out secs
    out=$($1 bench "${args[@]}" "$3")
    secs=$(echo "$out" | sed -n 's/Run completed in \([0-9.]*\) seconds./\1/p')
    echo "scale=0; $COUNT / $secs" | bc
}
"$VMON" img create -q -f qcow2 "$T/vw.qcow2" "${SIZE_MB}M"
qemu-img create -q -f qcow2 "$T/qw.qcow2" "${SIZE_MB}M"
vw=$(iops "$VMON img" w "$T/vw.qcow2")
qw=$(iops qemu-img w "$T/qw.qcow2")
printf '%-44s %9s/s %9s/s %7sx\n' "4 KiB scattered writes, allocating (IOPS)" "$vw" "$qw" "$(ratio "$vw" "$qw")"
qemu-img check -q "$T/vw.qcow2" || { echo "FAIL: image written by vmon img bench does not check"; exit 1; }
vr=$(iops "$VMON img" r "$T/src.qcow2")
qr=$(iops qemu-img r "$T/src.qcow2")
printf '%-44s %9s/s %9s/s %7sx\n' "4 KiB scattered reads (IOPS)" "$vr" "$qr" "$(ratio "$vr" "$qr")"
vw2=$(iops "$VMON img" w "$T/src.qcow2")
qw2=$(iops qemu-img w "$T/src.qcow2")
printf '%-44s %9s/s %9s/s %7sx\n' "4 KiB scattered writes, in place (IOPS)" "$vw2" "$qw2" "$(ratio "$vw2" "$qw2")"
vd=$(iops "$VMON img" r "$T/src.qcow2" 64 4k)
qd=$(iops qemu-img r "$T/src.qcow2" 64 4k)
printf '%-44s %9s/s %9s/s %7sx\n' "4 KiB reads, depth 64 (qemu-img's default)" "$vd" "$qd" "$(ratio "$vd" "$qd")"
