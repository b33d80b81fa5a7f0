#!/usr/bin/env bash
# The differential ISA test over make test's fixed-seed corpus (a smaller one with VMON_QUICK=1).
# Prints a coverage table (one row per form; ISA_TABLE=0 leaves it out); ISA_FAILURES=1 lists up
# to 20 mismatches per form.
exec "${BUILD:-build}/tests/isa/isa-diff" "$@"
