#!/usr/bin/env python3
"""Drive vmon's console through a pty as a user would (monitor/hmp_test.sh): Ctrl-A h, Ctrl-A c,
monitor commands, Ctrl-A c back to the guest, then quit. Usage: hmp_pty.py VMON ARGS...
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


pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
read_until(fd, b"vmon-guest: entry=")
ok("guest runs on the console")
os.write(fd, b"\x01h")
read_until(fd, b"C-a c    switch between console and monitor")
ok("Ctrl-A h prints the escapes")
os.write(fd, b"\x01c")
read_until(fd, b"(vmon) ")
ok("Ctrl-A c opens the monitor")
os.write(fd, b"info status\r")
read_until(fd, b"VM status: running")
read_until(fd, b"(vmon) ")
os.write(fd, b"stop\r")
read_until(fd, b"(vmon) ")
os.write(fd, b"info status\r")
read_until(fd, b"VM status: paused")
read_until(fd, b"(vmon) ")
ok("stop: info status says paused")
os.write(fd, b"info registers\r")
s = read_until(fd, b"(vmon) ")
if b"RIP=" not in s or b"CR0=" not in s:
    print("FAIL: info registers: %r" % s)
    sys.exit(1)
ok("info registers")
os.write(fd, b"xp /4x 0x100000\r")
s = read_until(fd, b"(vmon) ")
if b"0000000000100000: 0x" not in s:
    print("FAIL: xp: %r" % s)
    sys.exit(1)
ok("xp /4x 0x100000")
os.write(fd, b"info cpus\r")
read_until(fd, b"CPU #0")
read_until(fd, b"(vmon) ")
os.write(fd, b"cont\r")
read_until(fd, b"(vmon) ")
os.write(fd, b"info status\r")
read_until(fd, b"VM status: running")
read_until(fd, b"(vmon) ")
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
