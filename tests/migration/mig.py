#!/usr/bin/env python3
"""QMP side of the migration tests: mig.py SOCKET LOG MINCOUNT URI OUT [PARAM=VALUE ...] [hmp].
Waits until the source guest's serial log shows "count N" with N >= MINCOUNT, sets the migration
parameters (migrate-set-parameters, or HMP migrate_set_parameter with 'hmp'), starts the migration
(QMP migrate, or HMP 'migrate -d URI'), retrying while the destination is not listening yet, follows
query-migrate until it ends, and writes to OUT: the last query-migrate reply (JSON), the MIGRATION
events seen, the source's query-status after, the counts the source printed while the migration
ran, and the HMP 'info migrate' text. Then quits the source. Exit 1 when the migration did not complete.
With 'cancel' it cancels the migration 0.3 s after starting it (migrate_cancel) and leaves the source
running; exit 1 unless the migration ended cancelled with the VM running. With 'refused' the
destination is to refuse the stream: exit 1 unless the migration failed with the VM running (left so)."""
import json
import os
import re
import sys
import time


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "monitor"))
from qmp_client import Qmp  # noqa: E402  (the one QMP client of the tests)


def counts(log):
    return [int(n) for n in re.findall(rb"count (\d+) ", open(log, "rb").read())]


def main():
    sock, log, mincount, uri, out = sys.argv[1:6]
    rest = sys.argv[6:]
    hmp = "hmp" in rest
    cancel = "cancel" in rest
    refused = "refused" in rest
    params = dict(p.split("=", 1) for p in rest if "=" in p)
    q = Qmp(sock, timeout=120, greet=True)
    deadline = time.time() + 300
    while not (counts(log) and counts(log)[-1] >= int(mincount)):
        if time.time() > deadline:
            sys.exit("FAIL: the guest never counted to %s" % mincount)
        time.sleep(0.01)
    for k, v in params.items():
        if hmp:
            assert q.hmp("migrate_set_parameter %s %s" % (k, v)) == "", k
        else:
            r = q.cmd("migrate-set-parameters", {k: int(v)})
            assert r.get("return") == {}, r
    at_start = counts(log)[-1]
    for _ in range(100):
        if hmp:
            assert q.hmp("migrate -d " + uri) == ""
        else:
            r = q.cmd("migrate", {"uri": uri})
            assert r.get("return") == {}, r
        if cancel:
            time.sleep(0.3)
            assert q.cmd("migrate_cancel").get("return") == {}
        while True:
            st = q.cmd("query-migrate")["return"]
            if st.get("status") not in ("setup", "active", "device", "cancelling"):
                break
            time.sleep(0.01)
        if st.get("status") == "failed" and "Connection refused" in st.get("error-desc", ""):
            time.sleep(0.1)   # the destination is not listening yet
            continue
        break
    at_end = counts(log)[-1]
    status = q.cmd("query-status")["return"]["status"]
    info = q.hmp("info migrate")
    q.cmd("query-version")   # collect trailing events
    res = {"query": st, "events": [e["data"]["status"] for e in q.events if e["event"] == "MIGRATION"],
           "stops": sum(1 for e in q.events if e["event"] == "STOP"), "status_after": status,
           "count_at_start": at_start, "count_at_end": at_end, "info": info}
    json.dump(res, open(out, "w"), indent=1)
    if cancel or refused:
        want = "cancelled" if cancel else "failed"
        sys.exit(0 if st.get("status") == want and status == "running" else 1)
    q.cmd("quit")
    sys.exit(0 if st.get("status") == "completed" else 1)


if __name__ == "__main__":
    main()
