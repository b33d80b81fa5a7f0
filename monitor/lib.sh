# Sourced by the monitor tests: vmon, the 64-bit test guest, python3 (the clients), a scratch folder
# removed on exit, and a guest command line that runs long enough to be operated.
set -u
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
here=$(cd "$(dirname "$0")" && pwd)
KERNEL=$BUILD/guests/bz64.bzImage
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -f "$KERNEL" ] || { echo "skip: $KERNEL not built (make build-tests)"; exit 77; }
fail=0
long="test=none rounds=4000000000"
