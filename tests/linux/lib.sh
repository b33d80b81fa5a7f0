# Shared by the Linux boot tests: find vmon and the guest material, boot, wait for serial output.
# Sourced; expects `set -u`. The material comes from scripts/fetch-guest.sh (make guest-linux).
VMON=${VMON:-build/vmon}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export VMON_MONITOR_DIR=$ROOT/monitor     # monitor/qmp_client.py, for the tests' QMP snippets
cd "$ROOT"
# Under a loaded 2-core CI machine the soft CPU boots the cloud kernel in 15-45 s: leave room.
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# need_guest [FLAVOUR]: the kernel and initramfs of one flavour (scripts/fetch-guest.sh: cloud,
# generic, rt, 6.12), or skip (exit 77) naming the fix.
need_guest() {
    local dir=build/guest
    [ "${1:-cloud}" != cloud ] && dir=build/guest/$1
    KERNEL=$dir/bzImage
    INITRD=$dir/initramfs.cpio.gz
    if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
        echo "skip: $KERNEL or $INITRD missing (run: make guest-linux, or FLAVOUR=${1:-cloud} scripts/fetch-guest.sh)"
        exit 77
    fi
    [ -x "$VMON" ] || fail "$VMON not built"
}

# A command for the initramfs's /init, base64-encoded so that it may hold any character.
cmd64() { printf '%s' "$1" | base64 -w0; }

TMPD=$(mktemp -d)
VMON_PID=
cleanup() {
    [ -n "$VMON_PID" ] && kill -9 "$VMON_PID" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

# boot LOG ARGS...: run vmon to the end (bounded), serial to LOG, stderr to LOG.err; sets RC.
boot() {
    local log=$1
    shift
    timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft "$@" </dev/null >"$log" 2>"$log.err"
    RC=$?
    [ "$RC" -eq 124 ] && { tail -n 20 "$log"; cat "$log.err"; fail "vmon did not end within ${BOOT_TIMEOUT}s"; }
    return 0
}

# wait_for FILE PATTERN SECS: poll until FILE has a line matching PATTERN; 1 on timeout.
wait_for() {
    local n=$(( $3 * 10 ))
    while [ "$n" -gt 0 ]; do
        grep -qa -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# expect_line LOG PATTERN WHAT: the serial output holds a line matching PATTERN.
expect_line() {
    grep -qa -- "$2" "$1" || { tail -n 30 "$1"; cat "$1.err" 2>/dev/null; fail "$3: no line matching '$2'"; }
    ok "$3"
}

# expect_booted LOG: the marker, the command's exit status 0, vmon's status 0 (poweroff).
expect_booted() {
    expect_line "$1" '^VMON-GUEST-READY' "marker line"
    expect_line "$1" '^VMON-CMD-EXIT=0' "the command ran and exited 0"
    [ "$RC" -eq 0 ] || { cat "$1.err"; fail "vmon exited $RC after the guest's poweroff, want 0"; }
    ok "vmon exited 0 after poweroff"
}

# boot_flavour FLAVOUR UNAME_REGEX: another of Debian 12's kernels boots the way the cloud one does:
# marker, `uname -a` matching UNAME_REGEX, one processor, exit 0 after poweroff. Their bzImages are
# xz- or zstd-compressed: the decompressor alone runs for a while in the soft CPU.
boot_flavour() {
    need_guest "$1"
    BOOT_TIMEOUT=${BOOT_TIMEOUT_FLAVOUR:-600}
    local log=$TMPD/serial
    boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 'uname -a; cat /proc/cpuinfo')"
    expect_booted "$log"
    expect_line "$log" "$2" "uname -a names the $1 kernel"
    local n
    n=$(grep -ac '^processor' "$log")
    [ "$n" -eq 1 ] || fail "/proc/cpuinfo lists $n processors, want 1"
    ok "/proc/cpuinfo lists 1 processor"
}
