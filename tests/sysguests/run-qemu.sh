#!/usr/bin/env bash
# The system-level guests under QEMU TCG (the oracle proving the .out files): see run-sysguests.sh.
exec env SYSGUEST_ACCELS=qemu-tcg "$(dirname "$0")/run-sysguests.sh" "$@"
