#!/usr/bin/env bash
# The cloud kernel with the binary translator off (--jit off): the interpreter alone boots Linux
# too, so it stays the reference the translator is held to (the other boots run translated code).
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud
log=$TMPD/serial
boot "$log" --jit off --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 'uname -a')"
expect_booted "$log"
expect_line "$log" '^Linux .* 6\.1\..*-cloud-amd64 .* x86_64' "uname -a names the cloud kernel"
