#!/usr/bin/env python3
"""Drives a VM's serial console on its stdin/stdout (vmon or qemu -nographic) as a user at a
terminal would (issue 15's Debian disk test): waits for getty's "login:", logs in as root, runs a
command, writes a file, then `poweroff`, and waits for the VM to exit.

usage: serial-login.py LOG TIMEOUT PASSWORD FILE_LINE -- COMMAND...
Everything the VM prints goes to LOG. Prints "ok: STEP" per step reached, one line per timing
("time: login: S", "time: exit: S", "time: cpu: S" for the VM's user+system CPU); exits with the VM's status, or 124 when a step times out (the VM is killed)."""
import os
import resource
import select
import subprocess
import sys
import time


def main():
    sep = sys.argv.index("--")
    log_path, timeout, password, file_line = sys.argv[1:sep]
    cmd = sys.argv[sep + 1:]
    timeout = float(timeout)
    start = time.monotonic()
    vm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, bufsize=0)
    seen = bytearray()
    log = open(log_path, "wb")

    def expect(pattern, limit):
        """Read until pattern appears after what earlier steps consumed; False on timeout/exit."""
        nonlocal seen
        want = pattern.encode()
        deadline = min(time.monotonic() + limit, start + timeout)
        while want not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([vm.stdout], [], [], min(left, 1.0))
            if not r:
                continue
            chunk = os.read(vm.stdout.fileno(), 65536)
            if not chunk:
                return False
            log.write(chunk)
            log.flush()
            seen += chunk
        seen = seen[seen.index(want) + len(want):]
        return True

    def send(text):
        for ch in text.encode():          # a typist's pace: getty and the shell see every byte
            vm.stdin.write(bytes([ch]))
            time.sleep(0.01)
        vm.stdin.flush()

    steps = [
        ("login:", "root\r", timeout),
        ("Password:", password + "\r", 60),
        ("# ", "echo vmon-cmd-$((6*7)) $(uname -m)\r", 120),
        ("vmon-cmd-42 x86_64", "echo '%s' >/root/vmon-test.txt; sync; echo vmon-wrote-$((1+1))\r"
         % file_line, 60),
        ("vmon-wrote-2", "poweroff\r", 60),
    ]
    for pattern, reply, limit in steps:
        if not expect(pattern, limit):
            print("FAIL: waiting for %r (%.0f s)" % (pattern, time.monotonic() - start))
            vm.kill()
            vm.wait()
            return 124
        print("ok: %s (%.1f s)" % (pattern.strip(), time.monotonic() - start))
        if pattern == "login:":
            print("time: login: %.1f" % (time.monotonic() - start))
        send(reply)
    # Drain the shutdown's output until the VM exits.
    deadline = start + timeout + 300
    while time.monotonic() < deadline:
        r, _, _ = select.select([vm.stdout], [], [], 1.0)
        if r:
            chunk = os.read(vm.stdout.fileno(), 65536)
            if not chunk:
                break
            log.write(chunk)
    try:
        rc = vm.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        print("FAIL: the VM did not exit after poweroff")
        vm.kill()
        vm.wait()
        return 124
    print("time: exit: %.1f" % (time.monotonic() - start))
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)   # the VM, the only child waited for
    print("time: cpu: %.1f" % (ru.ru_utime + ru.ru_stime))
    return rc


if __name__ == "__main__":
    sys.exit(main())
