#!/usr/bin/env python3
"""Live-migration downtime of a 512 MiB Linux guest over localhost tcp, vmon against QEMU TCG
(issue 18): bench_downtime.py VMON QEMU KERNEL INITRD TMPDIR REPS DOWNTIME_MS BANDWIDTH.
Each VMM boots the same guest (tests/snapshot/vmbench.py: 255 MiB of RAM filled with non-zero data,
then 'idle', a TICK line every 10 ms of waiting, or 'dirty', the same while a background loop
rewrites 8 MiB of its page cache and sleeps 100 ms) next to a destination of the same VMM started
with -incoming tcp:127.0.0.1:PORT; 1.5 s after the source's first TICK, migrate-set-parameters
gives both VMMs the same downtime-limit and max-bandwidth, migrate starts, query-migrate is
followed every 10 ms to its end. Each run gives the downtime as the VMM reports it (vmon: its
vCPUs' stop to the destination's resume; QEMU 7.2: its vCPUs' stop to the end of the stream on the
source), total-time, the pre-copy passes (dirty-sync-count), the guest-visible gap the host sees:
from the source's last TICK line to the destination's first (the same measure for both, with one
tick of slack), and the source's pace before and during the migration (its TICK interval, and for
'dirty' the MiB/s its background loop rewrote). REPS runs of each, alternating; the best of each
column and the ratio are printed."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "snapshot"))
import vmbench  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def argvs(who, cfg, mode, sock, port):
    vmon, qemu, kernel, initrd = cfg
    inc = ["-incoming", "tcp:127.0.0.1:%d" % port]
    if who == "vmon":
        return (vmbench.vmon_argv(vmon, qmp=sock, boot=(kernel, initrd, mode)), vmbench.vmon_argv(vmon, extra=inc))
    return (vmbench.qemu_argv(qemu, kernel, initrd, mode, qmp=sock),
            vmbench.qemu_argv(qemu, kernel, initrd, mode, extra=inc))


def one(vms, who, cfg, mode, d, tag, params):
    """One migration, 1.5 s after the guest's first TICK; {downtime, total, passes, gap, sent, and
    the source's median TICK interval before and during the migration (tick), the MiB/s
    dirtied in those two spans}."""
    sock = os.path.join(d, tag + ".sock")
    src_argv, dst_argv = argvs(who, cfg, mode, sock, free_port())
    dst = vms.start(dst_argv, os.path.join(d, tag + "-dst.err"))
    src = vms.start(src_argv, os.path.join(d, tag + "-src.err"))
    try:
        vmbench.booted(src)
        q = src.qmp(sock)
        t_booted = time.monotonic() - src.t0
        time.sleep(1.5)   # the guest's own pace before the migration
        t_mig = time.monotonic() - src.t0
        for k, v in params.items():   # one per command: vmon and QEMU take the same
            r = q.cmd("migrate-set-parameters", {k: v})
            if r.get("return") != {}:
                raise RuntimeError("%s: migrate-set-parameters %s: %s" % (who, k, r))
        r = q.cmd("migrate", {"uri": dst_argv[-1]})
        if r.get("return") != {}:
            raise RuntimeError("%s: migrate: %s" % (who, r))
        st = vmbench.poll_migrate(q)
        if st.get("status") != "completed":
            raise RuntimeError("%s %s: the migration ended %s: %s" % (who, mode, st, src.diag()))
        t_first = dst.wait_line(vmbench.TICK.pattern, 60)
        t_last, _ = src.last_tick()   # read after: the source's last lines are in by now
        tick = src.tick_interval(t_booted, t_mig), src.tick_interval(t_mig)
        dirt = (src.tick_interval(t_booted, t_mig, vmbench.DIRTIED),
                src.tick_interval(t_mig, 1e9, vmbench.DIRTIED))
        gap = (dst.t0 + t_first) - (src.t0 + t_last)
        q.cmd("quit")
        return {"downtime": st.get("downtime"), "total": st.get("total-time"),
                "passes": st.get("ram", {}).get("dirty-sync-count"), "gap": gap * 1000,
                "tick": [x * 1000 if x else None for x in tick],
                "dirty": [8 / x if x else None for x in dirt],
                "sent": st.get("ram", {}).get("transferred", 0) / 2**20}
    finally:
        src.kill()
        dst.kill()


def pair(xs):   # "before/during"; "-" where fewer than two lines came to time
    return "/".join("-" if x is None else "%.0f" % x for x in xs)


ROW = "  %-6s %-22s %-12s %-12s %s"


def show(mode, runs):
    names = (("downtime", "downtime (reported)"), ("gap", "TICK gap (host-seen)"), ("total", "total time"))
    for i, (key, name) in enumerate(names):
        v, q = vmbench.best(r[key] for r in runs["vmon"]), vmbench.best(r[key] for r in runs["qemu"])
        print(ROW % (mode if i == 0 else "", name, "%.0f ms" % v, "%.0f ms" % q, vmbench.ratio(v, q)))
    for who in ("vmon", "qemu"):
        rs = runs[who]
        print("  %-6s %s runs: downtime/gap/total ms %s; passes %s; MiB sent %s"
              % ("", who, " ".join("%.0f/%.0f/%.0f" % (r["downtime"], r["gap"], r["total"]) for r in rs),
                 " ".join(str(r["passes"]) for r in rs), " ".join("%.0f" % r["sent"] for r in rs)))
        print("  %-6s %s source, before/during the migration: TICK every %s ms%s" % (
            "", " " * len(who), " ".join(pair(r["tick"]) for r in rs),
            "" if mode != "dirty" else "; dirtied %s MiB/s" % " ".join(pair(r["dirty"]) for r in rs)))


def main():
    vmon, qemu, kernel, initrd, d, reps, downtime, bw = sys.argv[1:9]
    cfg, reps = (vmon, qemu, kernel, initrd), int(reps)
    params = {"downtime-limit": int(downtime), "max-bandwidth": int(bw)}
    print("best of %d runs each; ratio = vmon / QEMU" % reps)
    print(ROW % ("guest", "", "vmon soft", "QEMU 7.2 TCG", "vmon/QEMU"))
    with vmbench.Vms() as vms:
        for mode in ("idle", "dirty"):
            runs = {"vmon": [], "qemu": []}
            for i in range(reps):   # alternating, so that both see the same neighbours
                for who in ("vmon", "qemu"):
                    runs[who].append(one(vms, who, cfg, mode, d, "%s-%s-%d" % (who, mode, i), params))
                    time.sleep(0.2)
            show(mode, runs)


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, AssertionError, EOFError, OSError, KeyError) as e:
        print("FAIL: %s" % e)
        sys.exit(1)
