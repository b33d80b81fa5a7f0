#!/usr/bin/env python3
"""Restore-to-running of a 512 MiB Linux guest, vmon --restore against QEMU TCG's -incoming
"exec:cat FILE" (issue 18): bench_restore.py VMON QEMU KERNEL INITRD TMPDIR REPS.
Each VMM boots the same guest (vmbench.py, 'readback': 255 MiB of its RAM filled with non-zero data,
then a shell loop printing a TICK line every 5 ms), has it read its 255 MiB back REPS times (the
best is the row "on the source") and saves it: vmon stopped over QMP, then x-vmon-save-state FILE;
QEMU with migrate "exec:cat > FILE" while it runs (its way to a state file: pre-copy into the file,
the VM stopped for the last pages, so that the stream says "running" and -incoming starts it;
bandwidth cap lifted); REPS saves are timed (vmon's fsyncs the file, QEMU's cat does not), the first
one's file is restored. Then REPS times, alternating: a fresh process restores the file, and the
time from its start to the first TICK on its serial port is taken (the guest executes again: its
loop goes on, so that TICK's number must be past the last one before the save), then the time the
guest takes to read its 255 MiB back. Prints the best of REPS of each and the ratio. vmon maps the
file's RAM and reads pages as the guest touches them (the read-back row pays for that); QEMU reads
the whole stream before the guest runs."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmbench  # noqa: E402


def saves(n, state, save, again=None):
    """N saves: the first to STATE (the one restored), the others to a scratch file removed after,
    each after again() when given (not timed); the seconds each took."""
    took = []
    for i in range(n):
        path = state if i == 0 else state + ".again"
        if i and again:
            again()
        t = time.monotonic()
        save(path)
        took.append(time.monotonic() - t)
        if i:
            os.unlink(path)
    return took


def save_vmon(vms, vmon, kernel, initrd, d, reps):
    sock, state = os.path.join(d, "v.sock"), os.path.join(d, "v.state")
    src = vms.start(vmbench.vmon_argv(vmon, qmp=sock, boot=(kernel, initrd, "readback")),
                    os.path.join(d, "vs.err"), stdin=True)
    vmbench.booted(src)
    rb = min(vmbench.readback(src) for _ in range(reps))
    q = src.qmp(sock)
    assert q.cmd("stop").get("return") == {}
    _, tick = src.last_tick()

    def save(path):
        r = q.cmd("x-vmon-save-state", {"file": path})
        if r.get("return") != {}:
            raise RuntimeError("x-vmon-save-state: %s" % r)
    took = saves(reps, state, save)
    q.cmd("quit")
    src.kill()
    return state, took, tick, rb


def save_qemu(vms, qemu, kernel, initrd, d, reps):
    sock, state = os.path.join(d, "q.sock"), os.path.join(d, "q.state")
    src = vms.start(vmbench.qemu_argv(qemu, kernel, initrd, "readback", qmp=sock), os.path.join(d, "qs.err"),
                    stdin=True)
    vmbench.booted(src)
    rb = min(vmbench.readback(src) for _ in range(reps))
    q = src.qmp(sock)
    # Not stopped first: a stream of a paused VM would leave the restored one paused until a 'cont'.
    # QEMU's default bandwidth cap (128 MiB/s) lifted, as vmon has none.
    r = q.cmd("migrate-set-parameters", {"max-bandwidth": 64 << 30})
    assert r.get("return") == {}, r
    _, tick = src.last_tick()

    def again():   # QEMU refuses to migrate a VM its last migration left paused: it runs on first
        assert q.cmd("cont").get("return") == {}
        time.sleep(0.2)

    def save(path):
        r = q.cmd("migrate", {"uri": "exec:cat > " + path})
        if r.get("return") != {}:
            raise RuntimeError("migrate exec: %s" % r)
        st = vmbench.poll_migrate(q)
        if st.get("status") != "completed":
            raise RuntimeError("QEMU's save: %s" % st)
    took = saves(reps, state, save, again)
    q.cmd("quit")
    src.kill()
    return state, took, tick, rb


def restore(vms, argv, errfile, tick):
    """Seconds from the start of ARGV to its first TICK, which must go on from TICK, and then the
    seconds the guest takes to read its 255 MiB back."""
    v = vms.start(argv, errfile, stdin=True)
    try:
        t = v.wait_line(vmbench.TICK.pattern, 120)
        _, n = v.last_tick()
        if n is None or n <= tick:
            raise RuntimeError("the restored guest printed TICK %s, saved after TICK %d" % (n, tick))
        return t, vmbench.readback(v)
    finally:
        v.kill()


def size(path):
    """A file's length and the bytes it takes on disk (vmon's state file leaves zero pages as holes)."""
    st = os.stat(path)
    return st.st_size, st.st_blocks * 512


def main():
    vmon, qemu, kernel, initrd, d, reps = sys.argv[1:7]
    reps = int(reps)
    with vmbench.Vms() as vms:
        vstate, vsave, vtick, vrb = save_vmon(vms, vmon, kernel, initrd, d, reps)
        qstate, qsave, qtick, qrb = save_qemu(vms, qemu, kernel, initrd, d, reps)
        vruns, qruns = [], []
        for i in range(reps):   # alternating, so that both see the same neighbours
            vruns.append(restore(vms, vmbench.vmon_argv(vmon, extra=["--restore", vstate]),
                                 os.path.join(d, "vr%d.err" % i), vtick))
            qruns.append(restore(vms, vmbench.qemu_argv(qemu, kernel, initrd, "readback",
                                                        extra=["-incoming", "exec:cat " + qstate]),
                                 os.path.join(d, "qr%d.err" % i), qtick))
        res = {"vmon": (vsave, size(vstate), vruns, vrb), "qemu": (qsave, size(qstate), qruns, qrb)}
    show(res, reps)


def show(res, reps):
    (vs, vsz, vr, vrb), (qs, qsz, qr, qrb) = res["vmon"], res["qemu"]
    row = "  %-38s %-18s %-18s %s"

    def timed(name, v, q):   # best of v and q, then every run
        print(row % (name + ", best of %d" % len(v), "%.3f s" % min(v), "%.3f s" % min(q),
                     vmbench.ratio(min(v), min(q))))
        print(row % ("  every run", " ".join("%.3f" % x for x in v), " ".join("%.3f" % x for x in q), ""))
    print(row % ("", "vmon soft", "QEMU 7.2 TCG", "vmon/QEMU"))
    timed("restore to first TICK", [r[0] for r in vr], [r[0] for r in qr])
    timed("then its 255 MiB read back", [r[1] for r in vr], [r[1] for r in qr])
    print(row % ("  the same on the source, best of %d" % reps, "%.3f s" % vrb, "%.3f s" % qrb,
                 vmbench.ratio(vrb, qrb)))
    timed("save", vs, qs)
    print(row % ("state file: length / on disk", "%.0f / %.0f MiB" % (vsz[0] / 2**20, vsz[1] / 2**20),
                 "%.0f / %.0f MiB" % (qsz[0] / 2**20, qsz[1] / 2**20), vmbench.ratio(vsz[1], qsz[1])))


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, AssertionError, EOFError, OSError) as e:
        print("FAIL: %s" % e)
        sys.exit(1)
