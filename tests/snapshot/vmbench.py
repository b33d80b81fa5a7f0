#!/usr/bin/env python3
"""Shared by the save/restore and migration benchmarks (issue 18; bench_restore.py, and
tests/migration/bench_downtime.py): the guest both VMMs run, how each VMM is started, and a VM
process whose serial lines are timestamped as they arrive. The guest is Debian's cloud kernel with
the busybox initramfs in 512 MiB: it fills 255 MiB of its page cache (rootfs) with non-zero data
(1 MiB from /dev/urandom, doubled into /tmp/f1 .. /tmp/f128), prints FILLED and then loops printing
"TICK n": 'idle' waits 10 ms between ticks (the shell's read -t on the console, which gets no input:
no process forked, so both VMMs tick at the same pace); 'dirty' ticks the same way while a
background loop rewrites /tmp/f8 in place (8 MiB of page cache written, dd conv=notrunc), prints
"DIRTIED n" and sleeps 100 ms, over and over; 'readback' waits 5 ms between ticks, and when a line
comes in on the console (Vm.send), reads all 255 MiB back (cat > /dev/null) and prints READBACK
(any line: busybox's read -t may drop the first bytes of one that arrives as it times out). A TICK
line read from a VMM's serial port is the proof that the guest runs."""
import base64
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "monitor"))
from qmp_client import Qmp  # noqa: E402  (the one QMP client of the tests)

RAM_MIB = 512
FILL = ("head -c 1048576 /dev/urandom > /tmp/f1\n"
        "p=1; for n in 2 4 8 16 32 64 128; do cat /tmp/f$p /tmp/f$p > /tmp/f$n; p=$n; done\n"
        "echo FILLED\n")
IDLE = "i=0; while :; do i=$((i+1)); echo TICK $i; read -t 0.01 x; done\n"
LOOPS = {
    "idle": IDLE,
    "dirty": "(j=0; while :; do dd if=/tmp/f8 of=/tmp/f8 bs=1M count=8 conv=notrunc 2>/dev/null;"
             " j=$((j+1)); echo DIRTIED $j; sleep 0.1; done) &\n" + IDLE,
    "readback": "i=0; while :; do i=$((i+1)); echo TICK $i; x=; read -t 0.005 x;"
                " [ -n \"$x\" ] && cat /tmp/f* > /dev/null && echo READBACK $i; done\n",
}
TICK = re.compile(rb"TICK (\d+)")
KEEP = re.compile(rb"TICK|FILLED|DIRTIED|READBACK")   # the lines a Vm keeps, timestamped
DIRTIED = re.compile(rb"DIRTIED (\d+)")


def append(mode):
    cmd = base64.b64encode((FILL + LOOPS[mode]).encode()).decode()
    return "console=ttyS0 quiet vmon.cmd64=" + cmd


def vmon_argv(vmon, qmp=None, boot=None, extra=()):
    """vmon under the software CPU; boot = (kernel, initrd, mode) for a fresh boot."""
    a = [vmon, "run", "--accel", "soft", "--mem", "%dM" % RAM_MIB]
    if boot:
        a += ["--kernel", boot[0], "--initrd", boot[1], "--append", append(boot[2])]
    if qmp:
        a += ["-qmp", "unix:%s,server,wait=off" % qmp]
    return a + list(extra)


def qemu_argv(qemu, kernel, initrd, mode, qmp=None, extra=()):
    """QEMU TCG on the same guest; an incoming QEMU needs the same kernel, initrd and command line
    (they shape the option ROMs and fw_cfg the stream is checked against)."""
    a = [qemu, "-accel", "tcg", "-m", str(RAM_MIB), "-kernel", kernel, "-initrd", initrd,
         "-append", append(mode), "-display", "none", "-nodefaults", "-serial", "stdio", "-no-reboot"]
    if qmp:
        a += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
    return a + list(extra)


class Vm:
    """One VMM process: its own process group (killed whole at the end), stderr to ERRFILE, each
    serial line timestamped (seconds since the process was started) by a reader thread."""

    def __init__(self, argv, errfile, stdin=False):
        self.err = errfile
        self.argv0 = argv[0]
        self.lines = []            # (t, line) of the lines matching TICK or FILLED, and the last others
        self.tail = []
        self.cv = threading.Condition()
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=open(errfile, "wb"), start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            t = time.monotonic() - self.t0
            with self.cv:
                if KEEP.search(line):
                    self.lines.append((t, line))
                self.tail = (self.tail + [line])[-20:]
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def wait_line(self, pattern, timeout, after=0.0):
        """The time of the first line matching PATTERN (bytes regex) read at or after AFTER."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for t, line in self.lines:
                    if t >= after and re.search(pattern, line):
                        return t
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    raise RuntimeError("no line matching %r from %s: %s"
                                       % (pattern, os.path.basename(self.argv0), self.diag()))
                self.cv.wait(min(left, 0.5))

    def send(self, data):
        """Bytes onto the guest's console (a Vm started with stdin=True); the time they went."""
        t = time.monotonic() - self.t0
        self.p.stdin.write(data)
        self.p.stdin.flush()
        return t

    def last_tick(self):
        with self.cv:
            ticks = [(t, int(TICK.search(line).group(1))) for t, line in self.lines if TICK.search(line)]
        return ticks[-1] if ticks else (None, None)

    def tick_interval(self, since=0.0, until=1e9, what=TICK):
        """The median time between the TICK (or WHAT) lines read between SINCE and UNTIL; None
        when fewer than two came."""
        with self.cv:
            ts = [t for t, line in self.lines if what.search(line) and since <= t <= until]
        d = sorted(b - a for a, b in zip(ts, ts[1:]))
        return d[len(d) // 2] if d else None

    def qmp(self, path):
        return Qmp(path, timeout=120, greet=True)

    def diag(self):
        err = open(self.err, "rb").read()[-2000:].decode(errors="replace")
        out = b"".join(self.tail).decode(errors="replace")[-2000:]
        return "status %s; serial tail:\n%s\nstderr:\n%s" % (self.p.poll(), out, err)

    def kill(self):
        if self.p.stdin:
            try:
                self.p.stdin.close()
            except OSError:   # the VMM is gone: its end of the pipe with it
                pass
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.p.wait()


class Vms:
    """Every Vm started, killed at exit whatever happened (with Vms() as vms: vms.start(...))."""

    def __init__(self):
        self.all = []

    def start(self, argv, errfile, stdin=False):
        v = Vm(argv, errfile, stdin)
        self.all.append(v)
        return v

    def __enter__(self):
        # timeout(1)'s SIGTERM unwinds like an exception, so that __exit__ still ends every VM
        signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated"))
        return self

    def __exit__(self, *exc):
        for v in self.all:
            v.kill()


def readback(vm):
    """Seconds the 'readback' guest takes to read its 255 MiB back, from the line that asks it."""
    t = vm.send(b"GO\n")
    return vm.wait_line(rb"READBACK", 120, after=t) - t


def booted(vm, timeout=300):
    """Waits for FILLED and a TICK after it: the guest's memory is filled and its loop runs."""
    t = vm.wait_line(rb"FILLED", timeout)
    vm.wait_line(rb"TICK", 60, after=t)


def poll_migrate(q, timeout=300):
    """query-migrate every 10 ms until the migration leaves setup/active/device; its last reply."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = q.cmd("query-migrate")["return"]
        if st.get("status") not in ("setup", "active", "device", "pre-switchover", "cancelling"):
            return st
        time.sleep(0.01)
    raise RuntimeError("the migration did not end in %d s" % timeout)


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.2fx" % (a / b)


def best(xs):
    xs = [x for x in xs if x is not None]
    return min(xs) if xs else None
