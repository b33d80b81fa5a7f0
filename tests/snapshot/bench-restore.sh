#!/usr/bin/env bash
# Restore-to-running of a 512 MiB Linux guest (issue 18): vmon --restore of a state file against
# QEMU TCG's -incoming "exec:cat FILE" of the same guest saved with migrate "exec:cat > FILE", in one
# run; the time from the process start to the guest's first line after the restore, then the time
# the guest takes to read its memory back, best of BENCH_REPS (default 3) each, and the ratio
# (bench_restore.py says how). Exit 77 without QEMU, python3 or the guest material (make
# guest-linux). Env: BENCH_REPS, BENCH_KERNEL, BENCH_INITRD, QEMU, BENCH_TIMEOUT (seconds for the
# whole run, default 900; every VM is ended on it).
set -u
. "$(dirname "$0")/../../benches/lib.sh"
REPS=${BENCH_REPS:-3}
here=$(cd "$(dirname "$0")" && pwd)

bench_header "Restore to running, 512 MiB guest: vmon --restore vs QEMU -incoming exec:"
command -v "$QEMU" >/dev/null || { echo "skip: $QEMU not found"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || { echo "skip: $KERNEL or $INITRD missing (make guest-linux)"; exit 77; }
[ -x "$VMON" ] || { echo "FAIL: $VMON not built"; exit 1; }
echo "guest: $KERNEL + $INITRD, 512 MiB, 255 MiB of it filled with non-zero data, then a shell loop"
echo "printing a TICK line every 5 ms, which reads the 255 MiB back when told; $("$QEMU" --version | head -n1)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout -k 10 "${BENCH_TIMEOUT:-900}" python3 "$here/bench_restore.py" "$VMON" "$QEMU" "$KERNEL" "$INITRD" "$tmp" "$REPS"
rc=$?
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
