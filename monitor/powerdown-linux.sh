#!/usr/bin/env bash
# system_powerdown against Linux (Debian's kernel, the test initramfs): QMP presses the ACPI power
# button once the guest waits on /sys/firmware/acpi/interrupts/ff_pwr_btn; Linux must take the SCI
# (its fixed-event counter moves), the guest then powers off, and QMP shows POWERDOWN and SHUTDOWN
# (guest-shutdown). Under --accel soft; skips without the guest material (make guest-linux).
set -u
. "$(dirname "$0")/../tests/linux/lib.sh"
need_guest
# Linux arms the fixed power button (PWRBTN_EN) only with its button driver, a module the test
# initramfs lacks: append a cpio with it from the same kernel package (concatenated initramfs).
deb=$(ls build/guest/debs/linux-image-*-cloud-amd64_*.deb 2>/dev/null | head -1)
{ [ -n "$deb" ] && command -v cpio >/dev/null && command -v dpkg-deb >/dev/null; } ||
    { echo "skip: no cloud kernel package in build/guest/debs, or no cpio/dpkg-deb"; exit 77; }
mkdir -p "$TMPD/x" "$TMPD/root/lib/modules"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$TMPD/x" --wildcards './lib/modules/*/kernel/drivers/acpi/button.ko*'
ko=$(find "$TMPD/x" -name 'button.ko*' | head -1)
[ -n "$ko" ] || { echo "skip: no button.ko in $deb"; exit 77; }
cp "$ko" "$TMPD/root/lib/modules/acpi-button.ko"
(cd "$TMPD/root" && find . | cpio -o -H newc --quiet -R 0:0) | gzip | cat "$INITRD" - >"$TMPD/initrd"
INITRD=$TMPD/initrd
sock=$TMPD/qmp.sock
f=/sys/firmware/acpi/interrupts/ff_pwr_btn
cmd="insmod /lib/modules/acpi-button.ko; while read n rest <$f && [ \"\$n\" = 0 ]; do echo VMON-WAITING-PWRBTN; sleep 1; done; cat $f; echo VMON-PWRBTN-SEEN"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$cmd")" -qmp "unix:$sock,server,wait=off" \
    </dev/null >"$TMPD/log" 2>"$TMPD/log.err" &
VMON_PID=$!
wait_for "$TMPD/log" VMON-WAITING-PWRBTN "$BOOT_TIMEOUT" || { tail "$TMPD/log"; fail "the guest did not wait for the button"; }
ok "Linux waits for the power button"
python3 - "$sock" <<'PY' || fail "QMP"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(120); f = s.makefile("rwb")
def send(c):
    f.write(json.dumps({"execute": c}).encode() + b"\n"); f.flush()
f.readline(); send("qmp_capabilities"); f.readline()
send("system_powerdown")
seen = []
while "SHUTDOWN" not in seen:
    m = json.loads(f.readline())
    if "event" in m:
        seen.append(m["event"])
        if m["event"] == "SHUTDOWN":
            assert m["data"]["reason"] == "guest-shutdown", m
print("ok: QMP events", " ".join(seen))
assert "POWERDOWN" in seen
PY
wait "$VMON_PID"
RC=$?
VMON_PID=
grep -qa VMON-PWRBTN-SEEN "$TMPD/log" || fail "Linux never counted the power button's SCI"
ok "Linux counted the fixed power-button event"
[ "$RC" -eq 0 ] || fail "vmon exited $RC, want 0"
ok "vmon exited 0 after the guest's poweroff"
