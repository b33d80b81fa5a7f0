#!/usr/bin/env bash
# Live-migration downtime of a 512 MiB Linux guest over localhost tcp (issue 18): vmon against QEMU
# TCG on the same guest, idle and dirtying memory, with the same downtime-limit and max-bandwidth
# on both, in one run: the downtime each reports, the gap in the guest's output the host sees, the
# total time, best of BENCH_REPS (default 3) each, and the ratio (bench_downtime.py says how). Exit
# 77 without QEMU, python3 or the guest material (make guest-linux). Env: BENCH_REPS,
# BENCH_DOWNTIME_MS (default 300, QEMU's default), BENCH_BANDWIDTH (bytes/s, default 1 GiB/s; QEMU's
# default cap is 128 MiB/s, vmon has none), BENCH_KERNEL, BENCH_INITRD, QEMU, BENCH_TIMEOUT (seconds
# for the whole run, default 1500; every VM is ended on it).
set -u
. "$(dirname "$0")/../../benches/lib.sh"
REPS=${BENCH_REPS:-3}
DOWNTIME=${BENCH_DOWNTIME_MS:-300}
BW=${BENCH_BANDWIDTH:-1073741824}
here=$(cd "$(dirname "$0")" && pwd)

bench_header "Live migration downtime, 512 MiB guest over localhost tcp: vmon vs QEMU"
command -v "$QEMU" >/dev/null || { echo "skip: $QEMU not found"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || { echo "skip: $KERNEL or $INITRD missing (make guest-linux)"; exit 77; }
[ -x "$VMON" ] || { echo "FAIL: $VMON not built"; exit 1; }
echo "guest: $KERNEL + $INITRD, 512 MiB, 255 MiB of it filled with non-zero data, then idle (a TICK"
echo "line every 10 ms of waiting) or dirty (the same while a background loop rewrites 8 MiB of page
cache and sleeps 100 ms);"
echo "downtime-limit $DOWNTIME ms, max-bandwidth $BW bytes/s on both; $("$QEMU" --version | head -n1)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout -k 10 "${BENCH_TIMEOUT:-1500}" python3 "$here/bench_downtime.py" "$VMON" "$QEMU" "$KERNEL" "$INITRD" "$tmp" "$REPS" \
    "$DOWNTIME" "$BW"
rc=$?
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
