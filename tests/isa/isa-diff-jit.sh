#!/usr/bin/env bash
# The differential ISA test with the software CPU translating every block to host code before it
# first runs (accel/soft/jit.c): the translator against the host CPU, on make test's corpus.
exec "${BUILD:-build}/tests/isa/isa-diff" --jit "$@"
