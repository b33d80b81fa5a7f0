#!/usr/bin/env python3
"""Run a command; timestamp the BENCH marker lines it prints; print "name seconds result" per loop.
Used by bench.sh for vmon and QEMU alike (the guest's serial output arrives on stdout)."""
import subprocess, sys, time

proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                        stderr=subprocess.STDOUT, bufsize=0)
start = {}
buf = b""
while True:
    chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(1)
    if not chunk:
        break
    t = time.monotonic()
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        words = line.decode(errors="replace").strip().split()
        if len(words) >= 3 and words[0] == "BENCH":
            if words[2] == "start":
                start[words[1]] = t
            elif words[2] == "end" and words[1] in start:
                print(words[1], "%.6f" % (t - start[words[1]]), words[3] if len(words) > 3 else "-", flush=True)
proc.wait()
sys.exit(0 if proc.returncode in (0, 1) else proc.returncode)
