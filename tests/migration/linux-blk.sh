#!/usr/bin/env bash
# A Linux guest with a virtio-blk disk live-migrated under the software CPU (issue 18): Debian's cloud
# kernel writes 64 KiB to a qcow2 disk, says MIGRATE-NOW and goes on writing 4 KiB blocks one by one
# (with fsync) while the host migrates it over tcp to a second vmon started with -incoming, twice:
# with the disk on shared storage (the destination names the same image, opened for real only once
# the source closed it), and copied with the migration (QMP migrate's blk, HMP's migrate -b) into a
# blank image of the destination's own. The destination goes on with the writes where the source
# stopped, reads everything back past the page cache and powers off: every write must read back in
# the guest and be in the destination's image (vmon img convert), and qemu-img check (where
# installed) and vmon img check must find it clean. `cont` on the source after the migration must
# take its disks back: refused while the destination holds the shared image, done for a copied one.
set -u
. "$(dirname "$0")/../linux/lib.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
guest_cmd='head -c 65536 /dev/urandom > /tmp/a
head -c 131072 /dev/urandom > /tmp/b
dd if=/tmp/a of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; echo A-RC $?
echo ASUM $(sha1sum < /tmp/a)
echo BSUM $(sha1sum < /tmp/b)
echo MIGRATE-NOW
i=0; while [ $i -lt 32 ]; do
  dd if=/tmp/b of=/dev/vda bs=4096 skip=$i seek=$((512 + i)) count=1 conv=fsync 2>/dev/null || echo B-FAIL $i
  i=$((i + 1)); sleep 0.2
done
echo B-DONE
sync; echo 3 > /proc/sys/vm/drop_caches
echo ABACK $(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha1sum)
echo BBACK $(dd if=/dev/vda bs=4096 skip=512 count=32 2>/dev/null | sha1sum)'
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs=4096 skip="$2" count="$3" 2>/dev/null | sha1sum | cut -d' ' -f1; }

# run_case shared|copy: one migration, its checks (a failure ends the script).
run_case() {
    local mode=$1 T=$TMPD/$1
    mkdir -p "$T"
    local q=$T/disk.qcow2 qd=$T/disk.qcow2
    "$VMON" img create -f qcow2 "$q" 8M >/dev/null || fail "vmon img create"
    if [ "$mode" = copy ]; then
        qd=$T/dest.qcow2
        "$VMON" img create -f qcow2 "$qd" 8M >/dev/null || fail "vmon img create"
    fi
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    b=$T/b.log
    "$VMON" run --accel soft --mem 256M --drive "file=$qd,format=qcow2,if=virtio" \
        -incoming "tcp:127.0.0.1:$port" </dev/null >"$b" 2>"$b.err" &
    DST_PID=$!
    a=$T/a.log
    "$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" \
        --drive "file=$q,format=qcow2,if=virtio" -qmp "unix:$T/q.sock,server,wait=off" \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")" </dev/null >"$a" 2>"$a.err" &
    VMON_PID=$!
    wait_for "$a" '^MIGRATE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$a"; cat "$a.err"; kill $DST_PID; fail "$mode: the guest never got to MIGRATE-NOW"; }
    python3 - "$T/q.sock" "tcp:127.0.0.1:$port" "$mode" > "$T/mig.out" <<'P' || { cat "$T/mig.out" "$a.err" "$b.err"; kill $DST_PID; fail "$mode: migrating over QMP"; }
import json, os, sys, time
sys.path.insert(0, os.environ["VMON_MONITOR_DIR"])
from qmp_client import Qmp  # the tests' one QMP client
cmd = Qmp(sys.argv[1], timeout=120, greet=True).cmd
assert cmd("migrate", {"uri": sys.argv[2], "blk": sys.argv[3] == "copy"}).get("return") == {}
while True:
    st = cmd("query-migrate")["return"]
    if st["status"] not in ("setup", "active", "device"):
        break
    time.sleep(0.05)
print(json.dumps(st))
assert st["status"] == "completed", st
# cont on the source after it (QEMU's postmigrate): it must take its disks back first. Shared
# storage: the destination holds the image's locks, so cont is refused and the source stays paused;
# copied: the source's own image is free again, so it runs on.
r = cmd("cont")
state = cmd("query-status")["return"]["status"]
if sys.argv[3] == "copy":
    assert r.get("return") == {} and state == "running", (r, state)
else:
    assert "lock" in r.get("error", {}).get("desc", "") and state == "paused", (r, state)
print("cont after completion:", r.get("error", {}).get("desc", "ok"), "->", state)
cmd("quit")
P
    wait "$VMON_PID"
    src_rc=$?
    VMON_PID=$DST_PID
    echo "$(cat "$T/mig.out")"
    [ $src_rc -eq 0 ] || fail "$mode: the source exited $src_rc after the migration"
    grep -q '^B-DONE' "$a" && fail "$mode: the guest finished its writes before the migration ended (too fast for the test?)"
    ok "$mode: migrated while the guest writes to its disk"
    timeout -k 10 "$BOOT_TIMEOUT" tail --pid=$DST_PID -f /dev/null
    wait $DST_PID
    rc=$?
    VMON_PID=
    [ $rc -eq 0 ] || { tail -20 "$b"; cat "$b.err"; fail "$mode: the destination exited $rc, want 0 (poweroff)"; }
    expect_line "$b" '^B-DONE' "the destination goes on with the writes"
    grep -qa '^B-FAIL' "$a" "$b" && fail "$mode: a write failed: $(grep -ah '^B-FAIL' "$a" "$b")"
    [ "$(field "$a" ASUM)" = "$(field "$b" ABACK)" ] || fail "$mode: the first write reads back as $(field "$b" ABACK)"
    [ "$(field "$a" BSUM)" = "$(field "$b" BBACK)" ] || fail "$mode: the block-by-block writes read back as $(field "$b" BBACK)"
    ok "$mode: every write reads back in the guest on the destination"
    "$VMON" img convert -O raw "$qd" "$T/q.raw" || fail "$mode: vmon img convert"
    [ "$(field "$a" ASUM)" = "$(host_sum "$T/q.raw" 256 16)" ] || fail "$mode: the first write is not in the image"
    [ "$(field "$a" BSUM)" = "$(host_sum "$T/q.raw" 512 32)" ] || fail "$mode: the later writes are not in the image"
    ok "$mode: every write is in the image"
    if command -v qemu-img >/dev/null; then
        qemu-img check "$qd" >/dev/null || fail "$mode: qemu-img check: $(qemu-img check "$qd" 2>&1)"
        ok "$mode: qemu-img check clean"
    fi
    "$VMON" img check "$qd" >/dev/null || fail "$mode: vmon img check: $("$VMON" img check "$qd" 2>&1)"
    ok "$mode: vmon img check clean"
}
run_case shared
run_case copy
