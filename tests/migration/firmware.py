#!/usr/bin/env python3
"""QMP side of tests/migration/firmware.sh: firmware.py DIR PORT. The source (DIR/q.sock) runs
SeaBIOS and tests/firmware/kbdsector.S; once it says kbd-ready, 'h' is pressed and echoed, the VM is
migrated to tcp:127.0.0.1:PORT, and on the destination (DIR/q2.sock) 'i' must be echoed (SeaBIOS's
int 16h runs from the shadow that came over), then 'q' ends it. Prints ok/FAIL lines; exit 1 on a
failure."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "monitor"))
from qmp_client import Qmp  # noqa: E402


def wait(path, want, secs):
    for _ in range(secs * 10):
        if os.path.exists(path) and want in open(path, "rb").read():
            return True
        time.sleep(0.1)
    return False


def main():
    d, port = sys.argv[1:3]
    q = Qmp(d + "/q.sock", greet=True)
    if not wait(d + "/a.log", b"kbd-ready", 120):
        print("FAIL: the source never said kbd-ready")
        return 1
    q.hmp("sendkey h")
    if not wait(d + "/a.log", b"kbd-ready\r\nh", 20) and not wait(d + "/a.log", b"h", 1):
        print("FAIL: the source did not echo h")
        return 1
    q.cmd("migrate", {"uri": "tcp:127.0.0.1:%s" % port})
    st = {}
    for _ in range(1200):
        st = q.cmd("query-migrate")["return"]
        if st.get("status") in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.1)
    if st.get("status") != "completed":
        print("FAIL: migration %s: %s" % (st.get("status"), st.get("error-desc", "")))
        return 1
    q2 = Qmp(d + "/q2.sock", greet=True)
    q2.hmp("sendkey i")
    if not wait(d + "/b.log", b"i", 30):
        print("FAIL: the destination did not echo i")
        return 1
    q2.hmp("sendkey q")
    print("ok: migrated, the destination echoes keys")
    return 0


sys.exit(main())
