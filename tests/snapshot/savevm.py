#!/usr/bin/env python3
"""QMP side of tests/snapshot/savevm.sh (issue 18, savevm into qcow2 internal snapshots).
savevm.py round SOCKET LOG MINCOUNT PREFIX: once the guest's log shows count >= MINCOUNT, stops the VM,
copies the log to PREFIX, runs HMP savevm s1 and info snapshots, tries loadvm of an unknown tag, lets
the VM count 8 more, stops it, writes the log's length to PREFIX.cut, runs loadvm s1 and lets the VM
run to its end.
savevm.py hmp SOCKET CMD...: runs each HMP command, prints "> CMD" and its output, then quits the VM.
savevm.py qmp SOCKET: QMP snapshot-save / snapshot-delete / snapshot-load jobs on disk virtio0, each
waited for (JOB_STATUS_CHANGE concluded), checked with query-jobs and dismissed; then quits."""
import sys
import time

from snap import Qmp, wait_count


def hmp(q, line):
    r = q.cmd("human-monitor-command", {"command-line": line})
    assert "return" in r, r
    return r["return"]


def round_trip(sock, log, mincount, prefix):
    q = Qmp(sock)
    wait_count(log, mincount)
    assert "return" in q.cmd("stop")
    time.sleep(0.1)
    open(prefix, "wb").write(open(log, "rb").read())
    out = hmp(q, "savevm s1")
    assert out == "", "savevm: %r" % out
    out = hmp(q, "info snapshots")
    assert "s1" in out and "List of snapshots" in out, "info snapshots: %r" % out
    print("info snapshots after savevm:\n" + out, end="")
    out = hmp(q, "loadvm nosuch")
    assert out == "Error: Snapshot 'nosuch' does not exist in one or more devices\n", "loadvm nosuch: %r" % out
    print("loadvm nosuch: " + out, end="")
    assert q.cmd("query-status")["return"]["status"] == "paused"
    assert "return" in q.cmd("cont")
    wait_count(log, mincount + 8)
    assert "return" in q.cmd("stop")
    time.sleep(0.1)
    open(prefix + ".cut", "w").write(str(len(open(log, "rb").read())))
    out = hmp(q, "loadvm s1")
    assert out == "", "loadvm s1: %r" % out
    assert "return" in q.cmd("cont")


def hmp_lines(sock, cmds):
    q = Qmp(sock)
    for c in cmds:
        print("> " + c)
        print(hmp(q, c), end="")
    q.cmd("quit")


def job(q, cmd, args):
    """Runs a snapshot job, waits for it to conclude; returns query-jobs' entry (then dismissed)."""
    q.s.sendall(('{"execute": "%s", "arguments": %s}\n' % (cmd, args)).encode())
    import json
    got_return, concluded = None, False
    deadline = time.time() + 120
    while not (got_return and concluded) and time.time() < deadline:
        r = q.recv()
        if "return" in r or "error" in r:
            got_return = r
            if "error" in r:
                return r
        elif r.get("event") == "JOB_STATUS_CHANGE" and r["data"]["status"] == "concluded":
            concluded = True
    assert got_return == {"return": {}}, got_return
    jobs = q.cmd("query-jobs")["return"]
    mine = [j for j in jobs if j["id"] == json.loads(args)["job-id"]]
    assert len(mine) == 1 and mine[0]["status"] == "concluded", jobs
    assert q.cmd("job-dismiss", {"id": mine[0]["id"]}) == {"return": {}}
    return mine[0]


def qmp_jobs(sock):
    q = Qmp(sock)
    j = job(q, "snapshot-save", '{"job-id": "s", "tag": "q1", "vmstate": "virtio0", "devices": ["virtio0"]}')
    assert "error" not in j, j
    print("snapshot-save: %s" % j)
    print(hmp(q, "info snapshots"), end="")
    j = job(q, "snapshot-load", '{"job-id": "l", "tag": "q1", "vmstate": "virtio0", "devices": ["virtio0"]}')
    assert "error" not in j, j
    print("snapshot-load: %s" % j)
    j = job(q, "snapshot-load", '{"job-id": "l2", "tag": "nosuch", "vmstate": "virtio0", "devices": ["virtio0"]}')
    assert j.get("error") == "Snapshot 'nosuch' does not exist in one or more devices", j
    print("snapshot-load nosuch: %s" % j)
    j = job(q, "snapshot-delete", '{"job-id": "d", "tag": "q1", "devices": ["virtio0"]}')
    assert "error" not in j, j
    print("snapshot-delete: %s" % j)
    out = hmp(q, "info snapshots")
    assert out == "There is no snapshot available.\n", out
    q.cmd("quit")


def main():
    mode = sys.argv[1]
    if mode == "round":
        round_trip(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == "hmp":
        hmp_lines(sys.argv[2], sys.argv[3:])
    else:
        qmp_jobs(sys.argv[2])


if __name__ == "__main__":
    main()
