#!/usr/bin/env bash
# The system-level guests under vmon run --accel kvm: see run-sysguests.sh.
exec env SYSGUEST_ACCELS=kvm "$(dirname "$0")/run-sysguests.sh" "$@"
