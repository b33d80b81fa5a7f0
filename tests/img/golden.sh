#!/usr/bin/env bash
# Golden tests (as QEMU's tests/qemu-iotests): each tests/img/golden/<name> is a bash script that uses
# $IMG (the image tool) and $QIO (qemu-io, to write test data) in $TEST_DIR; its output, with the
# directory and the tool's name filtered, must equal <name>.out. The same scripts run against real
# qemu-img too, which proves that the expected outputs are qemu-img's.
set -u
VMON=$(realpath "${VMON:-build/vmon}")
D=$(cd "$(dirname "$0")" && pwd)/golden
command -v qemu-img >/dev/null || { echo "skip: qemu-img (Debian qemu-utils) is not installed"; exit 77; }
fail=0 n=0
run_one() {   # tool-command name
    local dir out
    dir=$(mktemp -d)
    out=$(cd "$dir" && TEST_DIR="$dir" IMG="$1" QIO="qemu-io" bash "$D/$2" 2>&1 | \
          sed -e "s#$dir#TEST_DIR#g" -e 's#^qemu-img: #IMG: #' -e 's#^vmon img: #IMG: #')
    rm -rf "$dir"
    printf '%s\n' "$out"
}
for t in "$D"/*; do
    case $t in *.out) continue;; esac
    name=$(basename "$t")
    n=$((n + 1))
    for tool in "$VMON img" "qemu-img"; do
        if ! diff -u "$t.out" <(run_one "$tool" "$name") >/tmp/golden.$$.diff; then
            echo "FAIL: $name with $tool:"; head -40 /tmp/golden.$$.diff; fail=$((fail + 1))
        fi
    done
done
rm -f /tmp/golden.$$.diff
echo "golden: $n tests, $fail failures"
[ $fail -eq 0 ]
