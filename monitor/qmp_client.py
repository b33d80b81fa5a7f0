#!/usr/bin/env python3
"""A small QMP client for monitor/qmp_test.sh (Debian 12 ships no QMP library): json + socket.
Usage: qmp_client.py SOCKET SCENARIO; prints 'ok: ...' lines, exits 1 on the first failure."""
import json
import os
import socket
import stat
import sys
import time


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(20)
        self.buf = b""
        self.events = []

    def recv(self):
        while b"\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                raise EOFError("vmon closed the socket")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, data):
        self.s.sendall(data)
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
            else:
                return r

    def cmd(self, name, args=None, **kw):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        req.update(kw)
        return self.send_raw(json.dumps(req).encode() + b"\n")

    def event(self, name):
        deadline = time.time() + 20
        while time.time() < deadline:
            for e in self.events:
                if e["event"] == name:
                    self.events.remove(e)
                    return e
            self.events.append(self.recv())
        raise AssertionError("no %s event" % name)


def check(cond, what):
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)
    print("ok: " + what)


def err_class(r):
    return r.get("error", {}).get("class")


def scenario_main(q, path):
    mode = stat.S_IMODE(os.stat(path).st_mode)
    check(mode & 0o077 == 0, "socket mode %o keeps other users out" % mode)
    g = q.recv()
    check("QMP" in g and "version" in g["QMP"], "greeting")
    check(err_class(q.cmd("query-status")) == "CommandNotFound", "commands refused before qmp_capabilities")
    check(q.cmd("qmp_capabilities") == {"return": {}}, "qmp_capabilities")
    r = q.cmd("query-status", id=7)
    check(r.get("id") == 7 and r["return"]["status"] == "running" and r["return"]["running"], "query-status running, id echoed")
    check(q.cmd("query-version")["return"]["qemu"]["major"] >= 0, "query-version")
    names = [c["name"] for c in q.cmd("query-commands")["return"]]
    for n in ("query-status", "stop", "cont", "quit", "human-monitor-command", "system_powerdown"):
        check(n in names, "query-commands lists " + n)
    cpus = q.cmd("query-cpus-fast")["return"]
    check(len(cpus) == 2 and cpus[1]["cpu-index"] == 1 and cpus[0]["thread-id"] > 0, "query-cpus-fast: 2 CPUs")
    kvm = q.cmd("query-kvm")["return"]
    check(kvm["enabled"] == (os.environ.get("ACCEL") == "kvm"), "query-kvm enabled=%s" % kvm["enabled"])
    check(q.cmd("query-name")["return"].get("name") == "qmptest", "query-name")
    # malformed input
    q.s.sendall(b'{"execute": ')
    time.sleep(0.1)
    r = q.send_raw(b'"query-status"}\n')
    check(r.get("return", {}).get("status") == "running", "a command split over two writes")
    check(err_class(q.send_raw(b'{"execute": ]\n')) == "GenericError", "bad JSON: GenericError")
    check(err_class(q.send_raw(b"[1, 2]\n")) == "GenericError", "non-object: GenericError")
    check(err_class(q.send_raw(b"}}}\n")) == "GenericError", "garbage: GenericError")
    check(err_class(q.cmd("no-such-command")) == "CommandNotFound", "unknown command: CommandNotFound")
    check(err_class(q.send_raw(b'{"execute": 5}\n')) == "GenericError", "execute not a string")
    check(err_class(q.cmd("stop", "x")) == "GenericError", "arguments not an object")
    check(err_class(q.cmd("stop", {"bogus": 1})) == "GenericError", "unexpected argument")
    check(err_class(q.cmd("human-monitor-command", {"command-line": 5})) == "GenericError",
          "human-monitor-command: wrong argument type")
    check(err_class(q.cmd("human-monitor-command", {})) == "GenericError", "human-monitor-command: missing argument")
    # run state
    check(q.cmd("stop") == {"return": {}}, "stop")
    q.event("STOP")
    check(q.cmd("query-status")["return"]["status"] == "paused", "query-status paused")
    hmp = q.cmd("human-monitor-command", {"command-line": "info status"})["return"]
    check("paused" in hmp, "hmp info status: " + hmp.strip())
    regs = q.cmd("human-monitor-command", {"command-line": "info registers"})["return"]
    check("RIP=" in regs and "CR3=" in regs, "hmp info registers")
    xp = q.cmd("human-monitor-command", {"command-line": "xp /4x 0"})["return"]
    check(xp.startswith("0000000000000000:"), "hmp xp: " + xp.strip())
    x = q.cmd("human-monitor-command", {"command-line": "x /2g 0x1000"})["return"]
    check(x.startswith("0000000000001000:"), "hmp x (virtual): " + x.strip())
    g = q.cmd("human-monitor-command", {"command-line": "gva2gpa 0x1000"})["return"]
    check(g.startswith("gpa: 0x") or g.startswith("Unmapped"), "hmp gva2gpa: " + g.strip())
    mt = q.cmd("human-monitor-command", {"command-line": "info mtree"})["return"]
    check("com1" in mt and "ram slot 0" in mt, "hmp info mtree")
    ex = q.cmd("human-monitor-command", {"command-line": "info exits"})["return"]
    check("exits" in ex, "hmp info exits")
    cpus = q.cmd("human-monitor-command", {"command-line": "info cpus"})["return"]
    check("CPU #1" in cpus, "hmp info cpus")
    check(q.cmd("cont") == {"return": {}}, "cont")
    q.event("RESUME")
    check(q.cmd("query-status")["return"]["status"] == "running", "query-status running again")
    check(q.cmd("system_powerdown") == {"return": {}}, "system_powerdown")
    q.event("POWERDOWN")
    check(q.cmd("quit") == {"return": {}}, "quit")
    e = q.event("SHUTDOWN")
    check("seconds" in e["timestamp"] and e["data"]["guest"] is False, "SHUTDOWN event with timestamp")


def scenario_reset(q, path):
    q.recv()
    q.cmd("qmp_capabilities")
    check(q.cmd("system_reset") == {"return": {}}, "system_reset")
    q.event("RESET")
    q.event("SHUTDOWN")
    print("ok: RESET then SHUTDOWN")


def scenario_guest(q, path):
    q.recv()
    q.cmd("qmp_capabilities")
    e = q.event("SHUTDOWN")
    check(e["data"]["guest"] and e["data"]["reason"] == "guest-shutdown", "guest poweroff: SHUTDOWN guest-shutdown")


if __name__ == "__main__":
    path, scenario = sys.argv[1], sys.argv[2]
    for _ in range(200):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    q = Qmp(path)
    globals()["scenario_" + scenario](q, path)
