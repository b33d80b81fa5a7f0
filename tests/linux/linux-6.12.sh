#!/usr/bin/env bash
# The newer kernel Debian 12 also ships (linux-image-6.12-amd64) boots the same way under
# --accel soft. Skips unless fetched: FLAVOUR=6.12 scripts/fetch-guest.sh (or make guest-linux-every).
set -u
. "$(dirname "$0")/lib.sh"
boot_flavour 6.12 '^Linux .* 6\.12\.[0-9]*+deb12-amd64 .* x86_64'
