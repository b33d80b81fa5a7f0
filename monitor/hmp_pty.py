#!/usr/bin/env python3
"""Drive vmon's console through a pty as a user would (monitor/hmp_test.sh): Ctrl-A h, Ctrl-A c,
monitor commands (info registers, info translate...), Ctrl-A c back to the guest, then quit. With
MONITOR_STDIO=1 (vmon given -monitor stdio) the monitor has the terminal first and the guest's
output waits for Ctrl-A c. Usage: hmp_pty.py VMON ARGS...
Prints 'ok: ...' lines; exits 1 on the first failure, else vmon's status."""
import os
import pty
import select
import sys
import time

out = b""


def read_until(fd, want, timeout=30):
    global out
    deadline = time.time() + timeout
    while want not in out:
        left = deadline - time.time()
        if left <= 0:
            print("FAIL: no %r in:\n%s" % (want, out.decode(errors="replace")[-2000:]))
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                d = b""
            if not d:
                print("FAIL: vmon ended before %r:\n%s" % (want, out.decode(errors="replace")[-2000:]))
                sys.exit(1)
            out += d
    i = out.index(want) + len(want)
    seen, out = out[:i], out[i:]
    return seen


def ok(what):
    print("ok: " + what)


def command(fd, line, *wants):
    """Type a monitor command; wait for each of wants in order, then the next prompt. Returns what
    was read up to the prompt."""
    os.write(fd, line + b"\r")
    seen = b"".join(read_until(fd, w) for w in wants)
    return seen + read_until(fd, b"(vmon) ")


def expect_in(seen, wants, what):
    if not all(w in seen for w in wants):
        print("FAIL: %s: %r" % (what, seen))
        sys.exit(1)
    ok(what)


pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
if os.environ.get("MONITOR_STDIO"):
    read_until(fd, b"(vmon) ")
    ok("-monitor stdio: the monitor has the terminal first")
    seen = command(fd, b"info status", b"VM status: running")
    if b"vmon-guest" in seen:
        print("FAIL: guest output reached the terminal while the monitor had it: %r" % seen)
        sys.exit(1)
    ok("info status; no guest output while the monitor has the terminal")
    os.write(fd, b"\x01c")
    read_until(fd, b"vmon-guest: entry=")
    ok("Ctrl-A c: the guest's held output, then the console")
    os.write(fd, b"\x01c")
    read_until(fd, b"(vmon) ")
    os.write(fd, b"quit\r")
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
read_until(fd, b"vmon-guest: entry=")
ok("guest runs on the console")
os.write(fd, b"\x01h")
read_until(fd, b"C-a c    switch between console and monitor")
ok("Ctrl-A h prints the escapes")
os.write(fd, b"\x01c")
read_until(fd, b"(vmon) ")
ok("Ctrl-A c opens the monitor")
command(fd, b"info status", b"VM status: running")
command(fd, b"stop")
command(fd, b"info status", b"VM status: paused")
ok("stop: info status says paused")
expect_in(command(fd, b"info registers"), [b"RIP=", b"CR0="], "info registers")
expect_in(command(fd, b"info translate 0x100200"),
          [b"vCPU 0, 4-level paging", b"PML4E table 0x", b"PDPTE", b"PDE", b"PS  (2048 KiB page)",
           b"GVA 0x100200 -> GPA 0x100200 -> HVA 0x", b"-> HPA"], "info translate 0x100200: 4 address spaces")
expect_in(command(fd, b"info translate 0xffff800000000000 0"), [b"unmapped (PML4E not present)"],
          "info translate: an unmapped GVA")
expect_in(command(fd, b"info translate 0x1000 1"), [b"vCPU 1, paging off", b"GPA 0x1000"],
          "info translate on vCPU 1")
expect_in(command(fd, b"xp /4x 0x100000"), [b"0000000000100000: 0x"], "xp /4x 0x100000")
command(fd, b"info cpus", b"CPU #0")
command(fd, b"cont")
command(fd, b"info status", b"VM status: running")
ok("cont: running again")
os.write(fd, b"\x01c")
os.write(fd, b"\x01c")
read_until(fd, b"(vmon) ")
ok("Ctrl-A c back to the console and to the monitor again")
os.write(fd, b"quit\r")
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
if code != 0:
    print("FAIL: vmon status %d after quit" % code)
    sys.exit(1)
ok("quit: vmon exits 0")
