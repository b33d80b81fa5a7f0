#!/usr/bin/env bash
# Debian 12's PREEMPT_RT kernel (linux-image-rt-amd64) boots the same way under --accel soft.
# Skips unless fetched: FLAVOUR=rt scripts/fetch-guest.sh (or make guest-linux-every).
set -u
. "$(dirname "$0")/lib.sh"
boot_flavour rt '^Linux .* 6\.1\.[0-9-]*-rt-amd64 .*PREEMPT_RT.* x86_64'
