#!/usr/bin/env python3
"""Run a VMM and sample its memory from /proc/PID/smaps while it runs (issue 20's overhead figure).

Usage: memsample.py OUT RAM_BYTES CMD...   (CMD's stdin/stdout/stderr are passed through)
Writes to OUT one line: "peak_overhead_kib peak_rss_kib ram_kib samples" (ram_kib: at the peak), where the
overhead is the process's resident memory (the sum of Rss over its mappings) minus the resident
pages of the guest-RAM mapping: the anonymous mapping exactly RAM_BYTES long (vmon's mm/memory.c
and QEMU's qemu_ram_mmap both map RAM as one such area). "- - - N" when no sample found it. Samples
are 0.1 s apart, so a peak shorter than that may be missed (both VMMs alike).
Exit status: CMD's."""
import os, re, signal, subprocess, sys, time

HEAD = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$")


def sample(pid, ram):
    """(rss_kib, ram_rss_kib or None) of pid now, or None when it is gone."""
    try:
        with open("/proc/%d/smaps" % pid) as f:
            text = f.read()
    except OSError:
        return None
    rss = 0
    ram_rss = None
    is_ram = False
    for line in text.splitlines():
        m = HEAD.match(line)
        if m:
            size = int(m.group(2), 16) - int(m.group(1), 16)
            is_ram = size == ram and m.group(3) == "0" and m.group(4) == ""
            continue
        if line.startswith("Rss:"):
            kib = int(line.split()[1])
            rss += kib
            if is_ram:
                ram_rss = kib if ram_rss is None else ram_rss + kib
    return rss, ram_rss


def main():
    out, ram, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    proc = subprocess.Popen(cmd)
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    peak = peak_rss = ram_kib = None
    n = 0
    while proc.poll() is None:
        s = sample(proc.pid, ram)
        if s and s[1] is not None:
            over = s[0] - s[1]
            n += 1
            if peak is None or over > peak:
                peak, ram_kib = over, s[1]
            peak_rss = s[0] if peak_rss is None else max(peak_rss, s[0])
        time.sleep(0.1)
    with open(out, "w") as f:
        if peak is None:
            f.write("- - - %d\n" % n)
        else:
            f.write("%d %d %d %d\n" % (peak, peak_rss, ram_kib, n))
    sys.exit(proc.returncode)


main()
