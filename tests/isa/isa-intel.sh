#!/usr/bin/env bash
# The software CPU's Intel setting against the recording of its results while it was bit-exact with
# an Intel Xeon (tests/isa/intel-seed1.rec), interpreted and translated: keeps the Intel behaviours
# proven on hosts of any vendor (isa-diff.sh checks the host's own vendor against the host).
set -e
isa="${BUILD:-build}/tests/isa/isa-diff"
dir="$(dirname "$0")"
"$isa" --vendor intel --recorded "$dir/intel-seed1.rec"
"$isa" --vendor intel --jit --recorded "$dir/intel-seed1.rec"
