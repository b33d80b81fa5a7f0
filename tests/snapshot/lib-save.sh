# Sourced by tests/snapshot/linux-*.sh (after tests/linux/lib.sh): the save step they share.
# save_and_quit LOG WHAT: over the QMP socket $TMPD/q.sock, stop the VM, save it to $TMPD/state
# (x-vmon-save-state) and quit; wait for that vmon ($VMON_PID) to end; the guest (LOG its serial
# output) must not have printed AFTER-SLEEP yet, so the save caught it asleep; ok "saved ... WHAT".
save_and_quit() {
    python3 - "$TMPD/q.sock" "$TMPD/state" <<'P' || fail "saving over QMP"
import os, sys
sys.path.insert(0, os.environ["VMON_MONITOR_DIR"])
from qmp_client import Qmp  # the tests' one QMP client
q = Qmp(sys.argv[1], timeout=120, greet=True)
assert "return" in q.cmd("stop")
r = q.cmd("x-vmon-save-state", {"file": sys.argv[2]})
assert r.get("return") == {}, r
q.cmd("quit")
P
    wait "$VMON_PID"
    VMON_PID=
    grep -q '^AFTER-SLEEP' "$1" && fail "the guest woke before the save (sleep too short for this machine?)"
    ok "saved while the guest sleeps$2"
}
