#!/usr/bin/env bash
# Snapshot round trips under the software CPU (issue 18): the counting guest saved while it runs
# (QMP x-vmon-save-state, then HMP save_state) and restored with --restore, or restored into the same
# running vmon 8 counts later (QMP x-vmon-restore-state), continues from the same
# count with the same SSE register and memory: its output after the restore completes the straight
# run's exactly, final memory hash included.
. "$(dirname "$0")/lib.sh"
args="limit=40 period=10000000 sse=1"
straight soft "$args" || { echo "FAIL: straight soft run"; cat "$tmp/straight-soft.err"; exit 1; }
round soft soft "$args" "$tmp/straight-soft.log"
round soft soft "$args" "$tmp/straight-soft.log" hmp
round soft soft "$args" "$tmp/straight-soft.log" live
exit $fail
