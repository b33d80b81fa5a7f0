#!/usr/bin/env bash
# A Linux guest with an IDE disk and an ATAPI CD-ROM saved and restored under the software CPU (issue
# 18). Debian's cloud kernel (with tests/firmware/mkiso.sh's initramfs: ata_piix, sd_mod, sr_mod)
# reads the disk and the CD (if=ide, a raw image with random bytes; -cdrom, mkiso.sh's ISO), writes 64 KiB to the disk
# (DMA, as ata_piix does), says SAVE-NOW and sleeps; the host stops the VM, saves it (QMP
# x-vmon-save-state) and ends that vmon. A second vmon --restore's the file over the same images: the
# guest wakes and writes another 64 KiB, and is live-migrated (QMP migrate over tcp, the images on
# shared storage, handed over at the end) to a third vmon, where it writes a third 64 KiB, reads all
# three back past the page cache and the CD again, and powers off. Every read must match the host's
# bytes and every write must be in the image.
set -u
. "$(dirname "$0")/../linux/lib.sh"
. "$(dirname "$0")/lib-save.sh"
need_guest cloud
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
disk=$TMPD/disk.raw
cd=$TMPD/x.iso
tests/firmware/mkiso.sh "$cd" >"$TMPD/mkiso.log" 2>&1
case $? in 0) ;; 77) cat "$TMPD/mkiso.log"; exit 77 ;; *) cat "$TMPD/mkiso.log"; fail "mkiso.sh" ;; esac
INITRD=$cd.initrd
head -c $((8 << 20)) /dev/urandom > "$disk"
guest_cmd='echo DSUM $(dd if=/dev/sda bs=4096 count=256 2>/dev/null | sha1sum)
echo CSUM $(dd if=/dev/sr0 bs=2048 count=512 2>/dev/null | sha1sum)
head -c 65536 /dev/urandom > /tmp/a
dd if=/tmp/a of=/dev/sda bs=4096 seek=512 conv=fsync 2>/dev/null; echo A-RC $?
echo ASUM $(sha1sum < /tmp/a)
echo SAVE-NOW
sleep 3
echo AFTER-SLEEP
head -c 65536 /dev/urandom > /tmp/b
dd if=/tmp/b of=/dev/sda bs=4096 seek=768 conv=fsync 2>/dev/null; echo B-RC $?
echo BSUM $(sha1sum < /tmp/b)
echo MIGRATE-NOW
sleep 4
echo AFTER-MIGRATE
head -c 65536 /dev/urandom > /tmp/c
dd if=/tmp/c of=/dev/sda bs=4096 seek=1024 conv=fsync 2>/dev/null; echo C-RC $?
echo WSUM $(sha1sum < /tmp/c)
sync; echo 3 > /proc/sys/vm/drop_caches
echo ABACK $(dd if=/dev/sda bs=4096 skip=512 count=16 2>/dev/null | sha1sum)
echo BBACK $(dd if=/dev/sda bs=4096 skip=768 count=16 2>/dev/null | sha1sum)
echo WBACK $(dd if=/dev/sda bs=4096 skip=1024 count=16 2>/dev/null | sha1sum)
echo CBACK $(dd if=/dev/sr0 bs=2048 count=512 2>/dev/null | sha1sum)'
field() { sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1" | tr -d '\r' | head -n1; }
host_sum() { dd if="$1" bs="$2" skip="$3" count="$4" 2>/dev/null | sha1sum | cut -d' ' -f1; }
dsum=$(host_sum "$disk" 4096 0 256)
csum=$(host_sum "$cd" 2048 0 512)

a=$TMPD/a.log
"$VMON" run --accel soft --mem 256M --kernel "$KERNEL" --initrd "$INITRD" -drive "file=$disk,format=raw,if=ide" -cdrom "$cd" \
    -qmp "unix:$TMPD/q.sock,server,wait=off" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$guest_cmd")" </dev/null >"$a" 2>"$a.err" &
VMON_PID=$!
wait_for "$a" '^SAVE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$a"; cat "$a.err"; fail "the guest never got to SAVE-NOW"; }
[ "$(field "$a" DSUM)" = "$dsum" ] || fail "the guest read '$(field "$a" DSUM)' from the disk, the image has $dsum"
[ "$(field "$a" CSUM)" = "$csum" ] || fail "the guest read '$(field "$a" CSUM)' from the CD, the file has $csum"
expect_line "$a" '^A-RC 0' "the guest reads the IDE disk and the CD and writes to the disk"
save_and_quit "$a" " after its first write"

# Other media than the saved ones: refused with a message, never a crash
head -c $((4 << 20)) /dev/zero > "$TMPD/small.raw"
timeout -k 10 60 "$VMON" run --accel soft --mem 256M -drive "file=$TMPD/small.raw,format=raw,if=ide" -cdrom "$cd" --restore "$TMPD/state" \
    </dev/null >"$TMPD/r.log" 2>"$TMPD/r.err"
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "IDE" "$TMPD/r.err" || { cat "$TMPD/r.err"; fail "a smaller disk: status $rc"; }
ok "a disk of another size is refused: $(head -n1 "$TMPD/r.err")"

b=$TMPD/b.log
"$VMON" run --accel soft --mem 256M -drive "file=$disk,format=raw,if=ide" -cdrom "$cd" \
    -qmp "unix:$TMPD/b.sock,server,wait=off" --restore "$TMPD/state" </dev/null >"$b" 2>"$b.err" &
VMON_PID=$!
wait_for "$b" '^MIGRATE-NOW' "$BOOT_TIMEOUT" || { tail -20 "$b"; cat "$b.err"; fail "the restored guest never got to MIGRATE-NOW"; }
expect_line "$b" '^AFTER-SLEEP' "the restored guest wakes from its sleep"
expect_line "$b" '^B-RC 0' "and writes to its IDE disk"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
c=$TMPD/c.log
"$VMON" run --accel soft --mem 256M -drive "file=$disk,format=raw,if=ide" -cdrom "$cd" \
    -incoming "tcp:127.0.0.1:$port" </dev/null >"$c" 2>"$c.err" &
DST_PID=$!
python3 - "$TMPD/b.sock" "tcp:127.0.0.1:$port" <<'P' || { cat "$b.err" "$c.err"; kill $DST_PID; fail "migrating over QMP"; }
import json, os, sys, time
sys.path.insert(0, os.environ["VMON_MONITOR_DIR"])
from qmp_client import Qmp  # the tests' one QMP client
cmd = Qmp(sys.argv[1], timeout=120, greet=True).cmd
assert cmd("migrate", {"uri": sys.argv[2]}).get("return") == {}
while True:
    st = cmd("query-migrate")["return"]
    if st["status"] not in ("setup", "active", "device"):
        break
    time.sleep(0.05)
assert st["status"] == "completed", st
cmd("quit")
P
wait "$VMON_PID"
VMON_PID=$DST_PID
grep -q '^AFTER-MIGRATE' "$b" && fail "the guest ended its sleep before the migration did (too slow a machine?)"
ok "migrated with the IDE images on shared storage"
timeout "$BOOT_TIMEOUT" tail --pid="$DST_PID" -f /dev/null || kill -9 "$DST_PID"
wait "$DST_PID"
rc=$?
VMON_PID=
[ $rc -eq 0 ] || { tail -20 "$c"; cat "$c.err"; fail "the migrated vmon exited $rc, want 0 (poweroff)"; }
expect_line "$c" '^C-RC 0' "the migrated guest writes to its IDE disk"
[ "$(field "$a" ASUM)" = "$(field "$c" ABACK)" ] || fail "the first write reads back as $(field "$c" ABACK)"
[ "$(field "$b" BSUM)" = "$(field "$c" BBACK)" ] || fail "the second write reads back as $(field "$c" BBACK)"
[ "$(field "$c" WSUM)" = "$(field "$c" WBACK)" ] || fail "the third write reads back as $(field "$c" WBACK)"
[ "$(field "$c" CBACK)" = "$csum" ] || fail "the CD reads back as $(field "$c" CBACK) after the migration"
ok "all three writes and the CD read back in the guest after the restore and the migration"
[ "$(field "$a" ASUM)" = "$(host_sum "$disk" 4096 512 16)" ] || fail "the first write is not in the image"
[ "$(field "$b" BSUM)" = "$(host_sum "$disk" 4096 768 16)" ] || fail "the second write is not in the image"
[ "$(field "$c" WSUM)" = "$(host_sum "$disk" 4096 1024 16)" ] || fail "the third write is not in the image"
ok "all three writes are in the image"
