# Sourced by the tests/img scripts: strict variables, vmon by absolute path, a skip without
# qemu-img (the oracle), a scratch folder as the working directory (removed on exit), and fail/bad
# to collect failures (the script ends with `exit $fail`).
set -u
VMON=$(realpath "${VMON:-build/vmon}")
command -v qemu-img >/dev/null || { echo "skip: qemu-img (Debian qemu-utils) is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
