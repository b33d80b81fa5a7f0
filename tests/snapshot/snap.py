#!/usr/bin/env python3
"""QMP side of the snapshot tests: snap.py SOCKET LOG MINCOUNT PREFIX STATEFILE [hmp|live].
Waits until the guest's serial log shows "count N" with N >= MINCOUNT, stops the VM, copies the log
so far to PREFIX (the output up to the save point), saves the VM to STATEFILE (x-vmon-save-state, or
the human monitor's save_state with 'hmp'), checks the VM is still there (query-status), and quits.
With 'live' it lets the VM go on instead, stops it again 8 counts later, writes the log's length then
to PREFIX.cut, restores STATEFILE into it (x-vmon-restore-state) and lets it run to its end."""
import os
import re
import sys
import time


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "monitor"))
from qmp_client import Qmp as QmpConn  # noqa: E402  (the one QMP client of the tests)


def Qmp(path):  # noqa: N802  (savevm.py and the shell scripts' snippets import it under this name)
    """The snapshot tests' connection: greeting and qmp_capabilities done, replies awaited 120 s."""
    return QmpConn(path, timeout=120, greet=True)


def wait_count(log, mincount):
    deadline = time.time() + 300
    while time.time() < deadline:
        counts = [int(n) for n in re.findall(rb"count (\d+) ", open(log, "rb").read())]
        if counts and counts[-1] >= mincount:
            return
        time.sleep(0.02)
    sys.exit("FAIL: the guest never counted to %d" % mincount)


def main():
    sock, log, mincount, prefix, state = sys.argv[1:6]
    mode = sys.argv[6] if len(sys.argv) > 6 else "qmp"
    hmp = mode == "hmp"
    q = Qmp(sock)
    wait_count(log, int(mincount))
    r = q.cmd("stop")
    assert "return" in r, r
    time.sleep(0.1)
    open(prefix, "wb").write(open(log, "rb").read())
    if hmp:
        r = q.cmd("human-monitor-command", {"command-line": "save_state " + state})
        assert r.get("return", "x") == "", r
    else:
        r = q.cmd("x-vmon-save-state", {"file": state})
        assert r.get("return") == {}, r
    r = q.cmd("query-status")
    assert r["return"]["status"] == "paused", r
    if mode != "live":
        q.cmd("quit")
        return
    assert "return" in q.cmd("cont")
    wait_count(log, int(mincount) + 8)
    assert "return" in q.cmd("stop")
    time.sleep(0.1)
    open(prefix + ".cut", "w").write(str(len(open(log, "rb").read())))
    r = q.cmd("x-vmon-restore-state", {"file": state})
    assert r.get("return") == {}, r
    assert "return" in q.cmd("cont")


if __name__ == "__main__":
    main()
