#!/usr/bin/env bash
# The system-level guests under vmon run --accel soft: see run-sysguests.sh.
exec env SYSGUEST_ACCELS=soft "$(dirname "$0")/run-sysguests.sh" "$@"
