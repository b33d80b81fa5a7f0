#!/usr/bin/env python3
"""Where a firmware boot's time goes: runs COMMAND (a VM on its serial console, stdout), stamps each
line it prints with the seconds since start, and reports when the first line holding each MARKER came
(in the order given), then stops the VM at the last marker or after TIMEOUT seconds.

usage: boot-phases.py LOG TIMEOUT MARKER[,MARKER...] -- COMMAND...
LOG gets every line with its stamp. Prints "phase: MARKER: S" per marker seen, and the VM's
user+system CPU seconds up to then ("cpu: S")."""
import os
import resource
import select
import subprocess
import sys
import time


def main():
    sep = sys.argv.index("--")
    log_path, timeout, markers = sys.argv[1:sep]
    markers = markers.split(",")
    cmd = sys.argv[sep + 1:]
    start = time.monotonic()
    vm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, bufsize=0)
    log = open(log_path, "w")
    buf = b""
    seen = {}
    while len(seen) < len(markers) and time.monotonic() - start < float(timeout):
        r, _, _ = select.select([vm.stdout], [], [], 1.0)
        if not r:
            continue
        chunk = os.read(vm.stdout.fileno(), 65536)
        if not chunk:
            break
        now = time.monotonic() - start
        buf += chunk
        # markers may sit in a line not yet ended (getty's "login: ")
        text = buf.decode("latin-1")
        for m in markers:
            if m not in seen and m in text:
                seen[m] = now
        lines = buf.split(b"\n")
        buf = lines.pop()
        for ln in lines:
            log.write("%8.2f %s\n" % (now, ln.decode("latin-1").rstrip("\r")))
    vm.kill()
    vm.wait()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    prev = 0.0
    for m in markers:
        if m in seen:
            print("phase: %s: %.2f (+%.2f)" % (m, seen[m], seen[m] - prev))
            prev = seen[m]
        else:
            print("phase: %s: -" % m)
    print("cpu: %.2f" % (ru.ru_utime + ru.ru_stime))


main()
