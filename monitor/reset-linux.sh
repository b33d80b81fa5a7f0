#!/usr/bin/env bash
# Resets of a real Linux guest (Debian's kernel, the test initramfs) under --accel soft: Linux's own
# `reboot -f` reboots the VM in place (QMP: RESET guest true guest-reset, the kernel boots again),
# then QMP's system_reset does too (RESET guest false host-qmp-system-reset); quit ends it. Every
# boot of the guest reboots it again, so the test counts boots; with 2 vCPUs, each boot must bring
# the second one up again (the AP back to wait-for-SIPI). Skips without the guest material.
set -u
. "$(dirname "$0")/../tests/linux/lib.sh"
need_guest
sock=$TMPD/qmp.sock
# -la57: with LA57 offered (max, since main's 4631871) Debian's kernel runs 5-level paging and its
# userspace fails under the soft CPU (busybox aborts in _dl_get_origin); not what this test is about.
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --cpus 2 --cpu-features -la57 --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 'echo VMON-BOOTED CPUS=$(grep -c ^processor /proc/cpuinfo); reboot -f')" \
    -qmp "unix:$sock,server" </dev/null >"$TMPD/log" 2>"$TMPD/log.err" &
VMON_PID=$!
# wait=on: the client is there before the first boot, so it sees every event.
timeout "$BOOT_TIMEOUT" python3 - "$sock" "$TMPD/log" <<'PY' || { tail "$TMPD/log"; cat "$TMPD/log.err"; fail "QMP"; }
import json, os, socket, sys, time
for _ in range(400):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        s.close(); time.sleep(0.05)
f = s.makefile("rwb")
def send(c):
    f.write(json.dumps({"execute": c}).encode() + b"\n"); f.flush()
def event(name):
    while True:
        m = json.loads(f.readline())
        if m.get("event") == name:
            return m
        assert m.get("event") != "SHUTDOWN", m
def boots():
    return open(sys.argv[2], "rb").read().count(b"VMON-BOOTED")
f.readline(); send("qmp_capabilities"); f.readline()
for i in (1, 2):
    m = event("RESET")
    assert m["data"] == {"guest": True, "reason": "guest-reset"}, m
    print("ok: Linux's reboot -f #%d: RESET guest true guest-reset (%d boots seen)" % (i, boots()))
while boots() < 2:
    time.sleep(0.2)
send("system_reset")
m = event("RESET")
assert m["data"] == {"guest": False, "reason": "host-qmp-system-reset"}, m
n = boots()
print("ok: system_reset: RESET guest false host-qmp-system-reset")
t = time.time()
while boots() == n:
    time.sleep(0.2)
print("ok: Linux booted again after system_reset (%d boots)" % boots())
send("quit")
PY
wait "$VMON_PID"
RC=$?
VMON_PID=
[ "$RC" -eq 0 ] || fail "vmon exited $RC after quit, want 0"
banners=$(grep -ac '^VMON-GUEST-READY' "$TMPD/log")
[ "$banners" -ge 3 ] || fail "$banners boots on the console, want 3+"
[ "$(grep -ac '^VMON-BOOTED CPUS=2' "$TMPD/log")" -eq "$(grep -ac '^VMON-BOOTED' "$TMPD/log")" ] ||
    { grep -a VMON-BOOTED "$TMPD/log"; fail "a boot after a reset did not bring up both vCPUs"; }
ok "every boot brought up both vCPUs"
ok "quit: vmon exited 0; $banners boots (VMON-GUEST-READY) on the console"
