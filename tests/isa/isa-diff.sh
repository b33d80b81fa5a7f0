#!/usr/bin/env bash
# The differential ISA test over make test's fixed-seed corpus (a smaller one with VMON_QUICK=1).
# ISA_FAILURES=1 lists up to 20 mismatches per form, ISA_TABLE=1 prints every form's row.
exec "${BUILD:-build}/tests/isa/isa-diff" "$@"
