#!/usr/bin/env bash
# Debian 12's generic kernel (linux-image-amd64), not only the cloud one, boots the same way under
# --accel soft, without changes to vmon for it.
set -u
. "$(dirname "$0")/lib.sh"
boot_flavour generic '^Linux .* 6\.1\.[0-9-]*-amd64 .*PREEMPT_DYNAMIC.* x86_64'
