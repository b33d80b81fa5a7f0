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
    """One QMP connection; also the client of tests/snapshot/snap.py and tests/migration/mig.py, which
    pass greet=True (greeting and qmp_capabilities done here) and a longer timeout."""
    def __init__(self, path, timeout=20, greet=False):
        for _ in range(1200):   # 60 s: a loaded host starts vmon slowly
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                time.sleep(0.05)
        else:
            print("FAIL: cannot connect to %s (did vmon start?)" % path)
            sys.exit(1)
        self.s.settimeout(timeout)
        self.buf = b""
        self.events = []
        if greet:
            self.recv()
            self.cmd("qmp_capabilities")

    def hmp(self, line):
        r = self.cmd("human-monitor-command", {"command-line": line})
        assert "return" in r, r
        return r["return"]

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

    def no_event(self, name):
        return all(e["event"] != name for e in self.events)

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
    for n in ("qmp_capabilities", "query-status", "query-version", "query-commands", "query-cpus-fast",
              "query-block", "query-kvm", "query-name", "stop", "cont", "system_reset", "system_powerdown",
              "quit", "human-monitor-command", "x-vmon-translate"):
        check(n in names, "query-commands lists " + n)
    blk = q.cmd("query-block")["return"]
    check(len(blk) == 1 and blk[0]["device"] == "virtio0" and blk[0]["inserted"]["drv"] == "raw"
          and blk[0]["inserted"]["file"].endswith("disk.raw") and blk[0]["inserted"]["ro"] is False
          and blk[0]["inserted"]["virtual-size"] == 8 << 20, "query-block: the raw drive")
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
    check(err_class(q.cmd("x-vmon-translate", {"addr": "0x1000"})) == "GenericError", "x-vmon-translate: addr a string")
    check(err_class(q.cmd("x-vmon-translate", {"addr": 1.5})) == "GenericError", "x-vmon-translate: addr a float")
    check(err_class(q.cmd("x-vmon-translate", {"cpu-index": 0})) == "GenericError", "x-vmon-translate: addr missing")
    check(err_class(q.cmd("x-vmon-translate", {"addr": 0, "cpu-index": 9})) == "GenericError",
          "x-vmon-translate: no such vCPU")
    check(err_class(q.cmd("x-vmon-translate", {"addr": 0, "cpu-index": -1})) == "GenericError",
          "x-vmon-translate: negative vCPU")
    check(err_class(q.send_raw(b'{"execute": "query-status", "extra": 1}\n')) == "GenericError", "unexpected member")
    check(err_class(q.send_raw(b'\x00\xff{\n')) == "GenericError", "binary garbage: GenericError")
    check(err_class(q.send_raw(b'{"execute": "query-status", "id": 1, "arguments": {"a": [1, {"b": null}]}}\n'))
          == "GenericError", "nested arguments refused")
    check(err_class(q.send_raw(b"[" * 5000 + b"\n")) == "GenericError", "deep nesting: GenericError, vmon still up")
    check(q.cmd("query-status").get("return", {}).get("status") == "running", "still answering after malformed input")
    # run state
    check(q.cmd("stop") == {"return": {}}, "stop")
    q.event("STOP")
    check(q.cmd("query-status")["return"]["status"] == "paused", "query-status paused")
    hmp = q.cmd("human-monitor-command", {"command-line": "info status"})["return"]
    check("paused" in hmp, "hmp info status: " + hmp.strip())
    regs = q.cmd("human-monitor-command", {"command-line": "info registers"})["return"]
    check("RIP=" in regs and "CR3=" in regs, "hmp info registers")
    q.cpu_cr3 = int(regs.split("CR3=")[1].split()[0], 16)
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
    t = q.cmd("x-vmon-translate", {"addr": 0x100200})["return"]
    check(t["mode"] == "4-level paging" and [l["level"] for l in t["levels"]] == ["PML4E", "PDPTE", "PDE"]
          and t["levels"][2]["leaf"] and "PS" in t["levels"][2]["flags"] and t["gpa"] == 0x100200
          and t["page-size"] == 2 << 20 and t["hva"] > 0 and ("hpa" in t or t["hpa-error"]),
          "x-vmon-translate 0x100200: PML4E PDPTE PDE(2M) -> GPA -> HVA -> %s" %
          ("HPA 0x%x" % t["hpa"] if "hpa" in t else t["hpa-error"]))
    check(t["levels"][0]["table"] == q.cpu_cr3, "x-vmon-translate starts at CR3")
    t = q.cmd("x-vmon-translate", {"addr": 0xffff800000000000})["return"]
    check(t["fault"] == "not present" and len(t["levels"]) == 1 and "gpa" not in t,
          "x-vmon-translate: unmapped (PML4E not present)")
    t = q.cmd("x-vmon-translate", {"addr": 0x1234, "cpu-index": 1})["return"]
    check(t["cpu-index"] == 1 and t["mode"] == "paging off" and t["gpa"] == 0x1234,
          "x-vmon-translate on vCPU 1 (waiting for SIPI): paging off")
    t = q.cmd("x-vmon-translate", {"addr": 0x0000800000000000})["return"]
    check(t["fault"] == "not canonical", "x-vmon-translate: non-canonical")
    tr = q.cmd("human-monitor-command", {"command-line": "info translate 0x100200"})["return"]
    check("PML4E" in tr and "-> GPA 0x100200 -> HVA" in tr, "hmp info translate")
    ib = q.cmd("human-monitor-command", {"command-line": "info block"})["return"]
    check("virtio0:" in ib and "disk.raw (raw" in ib, "hmp info block")
    inet = q.cmd("human-monitor-command", {"command-line": "info network"})["return"]
    check(inet.strip() != "", "hmp info network: " + inet.strip())
    check(q.cmd("cont") == {"return": {}}, "cont")
    q.event("RESUME")
    check(q.cmd("query-status")["return"]["status"] == "running", "query-status running again")
    check(q.cmd("system_powerdown") == {"return": {}}, "system_powerdown")
    q.event("POWERDOWN")
    check(q.cmd("quit") == {"return": {}}, "quit")
    e = q.event("SHUTDOWN")
    check("seconds" in e["timestamp"] and e["data"] == {"guest": False, "reason": "host-qmp-quit"},
          "SHUTDOWN event with timestamp, guest false, host-qmp-quit")


def scenario_reset(q, path):
    """system_reset reboots in place: RESET (host), the guest boots again (qmp_test.sh counts its
    banners), a paused VM stays paused through a reset; quit ends it."""
    q.recv()
    q.cmd("qmp_capabilities")
    time.sleep(0.5)
    check(q.cmd("system_reset") == {"return": {}}, "system_reset")
    e = q.event("RESET")
    check(e["data"] == {"guest": False, "reason": "host-qmp-system-reset"}, "RESET guest false host-qmp-system-reset")
    check(q.cmd("query-status")["return"]["status"] == "running", "running after the reset")
    time.sleep(0.5)
    q.cmd("stop")
    q.event("STOP")
    check(q.cmd("human-monitor-command", {"command-line": "system_reset"}) == {"return": ""}, "hmp system_reset while paused")
    q.event("RESET")
    check(q.cmd("query-status")["return"]["status"] == "paused", "still paused after the reset")
    regs = q.cmd("human-monitor-command", {"command-line": "info registers"})["return"]
    check("RIP=0000000000100200" in regs, "vCPU 0 back at the kernel's entry 0x100200")
    q.cmd("cont")
    q.event("RESUME")
    time.sleep(0.5)
    check(q.no_event("SHUTDOWN"), "no SHUTDOWN from a reset")
    q.cmd("quit")
    check(q.event("SHUTDOWN")["data"]["reason"] == "host-qmp-quit", "quit: SHUTDOWN host-qmp-quit")


def scenario_guest_reset(q, path):
    """The guest resets itself (i8042) at each boot: RESET guest true, again and again."""
    q.recv()
    q.cmd("qmp_capabilities")
    for i in range(3):
        e = q.event("RESET")
        check(e["data"] == {"guest": True, "reason": "guest-reset"}, "guest reset %d: RESET guest true guest-reset" % (i + 1))
    check(q.no_event("SHUTDOWN"), "no SHUTDOWN from guest resets")
    q.cmd("quit")
    q.event("SHUTDOWN")


def scenario_noreboot(q, path):
    """-no-reboot: system_reset is the end, SHUTDOWN with the reset's cause and no RESET (QEMU's)."""
    q.recv()
    q.cmd("qmp_capabilities")
    check(q.cmd("system_reset") == {"return": {}}, "system_reset under -no-reboot")
    e = q.event("SHUTDOWN")
    check(e["data"] == {"guest": False, "reason": "host-qmp-system-reset"} and q.no_event("RESET"),
          "SHUTDOWN guest false host-qmp-system-reset, no RESET")


def scenario_guest_noreboot(q, path):
    q.recv()
    q.cmd("qmp_capabilities")
    e = q.event("SHUTDOWN")
    check(e["data"] == {"guest": True, "reason": "guest-reset"} and q.no_event("RESET"),
          "guest reset under -no-reboot: SHUTDOWN guest true guest-reset, no RESET")


def scenario_second(q, path):
    """A second -qmp socket: its own session, the same events."""
    q.recv()
    q.cmd("qmp_capabilities")
    check(q.cmd("query-name")["return"].get("name") == "qmptest", "second -qmp socket answers")
    e = q.event("SHUTDOWN")
    check(e["data"]["reason"] == "host-qmp-quit", "second -qmp socket sees SHUTDOWN")


def scenario_guest(q, path):
    q.recv()
    q.cmd("qmp_capabilities")
    e = q.event("SHUTDOWN")
    check(e["data"] == {"guest": True, "reason": "guest-shutdown"}, "guest poweroff: SHUTDOWN guest true guest-shutdown")


if __name__ == "__main__":
    path, scenario = sys.argv[1], sys.argv[2]
    for _ in range(1200):      # vmon may take long to start on a loaded machine
        if os.path.exists(path):
            break
        time.sleep(0.05)
    q = Qmp(path)
    globals()["scenario_" + scenario.replace("-", "_")](q, path)
