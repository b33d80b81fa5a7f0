#!/usr/bin/env bash
# Image locking (issue 12): the same OFD lock bytes as QEMU 7.2 (100+i "using", 200+i "not sharing"),
# so that vmon refuses an image QEMU has open for writing and the other way round, with QEMU's
# message; -U/--force-share reads anyway; convert onto its own source is refused and the image kept.
set -u
VMON=$(realpath "${VMON:-build/vmon}")
BLKIO=$(realpath "${BUILD:-build}/tests/img/blkio")
command -v qemu-io >/dev/null || { echo "skip: qemu-io (Debian qemu-utils) is not installed"; exit 77; }
T=$(mktemp -d)
HOLD=
trap '[ -n "$HOLD" ] && kill $HOLD 2>/dev/null; rm -rf "$T"' EXIT
cd "$T"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
locks() {      # the lock bytes held on FILE, as "100-101 103 201 203"
    local ino; ino=$(stat -c %i "$1")
    awk -v i=":$ino" '$2 == "OFDLCK" && index($6, i) == length($6) - length(i) + 1 { print ($7 == $8 ? $7 : $7 "-" $8) }' \
        /proc/locks | sort -n | tr '\n' ' ' | sed 's/ $//'
}
refused() {    # expected-message-part command...: must exit 1 and print the lock message
    local msg=$1; shift
    "$@" >out.txt 2>err.txt && { bad "$* succeeded on a locked image"; return; }
    grep -q "$msg" err.txt && grep -q "Is another process using the image \[" err.txt ||
        bad "$*: no lock message: $(cat err.txt)"
}

qemu-img create -q -f qcow2 a.qcow2 4M
qemu-io -c 'write -P 0x5a 0 256k' a.qcow2 >/dev/null
cp a.qcow2 ref.qcow2

# 1. convert onto its own source, directly and through a symlink: refused, data kept.
ln -s a.qcow2 link.qcow2
for src in a.qcow2 link.qcow2; do
    "$VMON" img convert -O qcow2 "$src" a.qcow2 2>err.txt && bad "convert $src a.qcow2 succeeded"
    grep -q 'Failed to get "write" lock' err.txt || bad "convert $src a.qcow2: $(cat err.txt)"
    qemu-img compare -q ref.qcow2 a.qcow2 || bad "convert $src a.qcow2 changed the image"
done

# 2. A vmon writer holds the image: its lock bytes are QEMU's, and qemu-io/qemu-img/vmon are refused.
cp ref.qcow2 w.qcow2
"$BLKIO" writer w.qcow2 w.log 1 &
HOLD=$!
for _ in $(seq 50); do [ -n "$(locks w.qcow2)" ] && break; sleep 0.1; done
[ "$(locks w.qcow2)" = "100-101 103 201 203" ] || bad "vmon writer's lock bytes: '$(locks w.qcow2)'"
qemu-io -c 'read 0 512' w.qcow2 >out.txt 2>&1; grep -q 'Failed to get "write" lock' out.txt || bad "qemu-io writer not refused: $(cat out.txt)"
qemu-img info w.qcow2 >/dev/null 2>err.txt && bad "qemu-img info not refused"
grep -q 'Failed to get shared "write" lock' err.txt || bad "qemu-img info: $(cat err.txt)"
qemu-img info -U w.qcow2 >/dev/null 2>&1 || bad "qemu-img info -U refused"
refused 'shared "write"' "$VMON" img info w.qcow2
refused '"write"' "$VMON" img snapshot -c s w.qcow2
"$VMON" img info -U w.qcow2 >/dev/null || bad "vmon img info -U refused"
"$VMON" img check -U w.qcow2 >/dev/null 2>&1; [ $? -le 3 ] || bad "vmon img check -U"
"$VMON" img check -U -r all w.qcow2 2>err.txt && bad "check -U -r all accepted"
grep -q "force-share=on can only be used with read-only images" err.txt || bad "check -U -r: $(cat err.txt)"
kill $HOLD; wait $HOLD 2>/dev/null; HOLD=
[ -z "$(locks w.qcow2)" ] || bad "locks left after the writer ended: $(locks w.qcow2)"

# 3. A qemu-io writer holds the image (reading commands from a FIFO): every vmon writer is refused,
#    readers too unless -U; a reader's bytes equal qemu-io -r's.
mkfifo cmd
qemu-io a.qcow2 <cmd >qio.out 2>&1 &
HOLD=$!
exec 3>cmd
for _ in $(seq 50); do [ -n "$(locks a.qcow2)" ] && break; sleep 0.1; done
for args in "snapshot -c s" "resize a.qcow2 8M" "amend -o lazy_refcounts=on" "check -r all" "info" "map" \
            "convert -n -O qcow2 ref.qcow2"; do
    set -- $args
    case $1 in resize) refused lock "$VMON" img "$@";; *) refused lock "$VMON" img $args a.qcow2;; esac
done
"$VMON" img create -q -f qcow2 a.qcow2 1M 2>err.txt && bad "create over an image in use"
grep -q 'Failed to get "write" lock' err.txt || bad "create: $(cat err.txt)"
"$VMON" img info -U a.qcow2 | grep -q 'virtual size: 4 MiB' || bad "info -U while qemu-io writes"
"$VMON" img compare -U ref.qcow2 a.qcow2 >/dev/null || bad "compare -U while qemu-io writes"
exec 3>&-
wait $HOLD; HOLD=
qemu-img check -q a.qcow2 && qemu-img compare -q ref.qcow2 a.qcow2 || bad "the image changed while qemu-io had it"

# 4. Two vmon processes: a vmon reader (convert's source) blocks a second vmon writer.
"$BLKIO" writer w.qcow2 w.log 2 &
HOLD=$!
for _ in $(seq 50); do [ -n "$(locks w.qcow2)" ] && break; sleep 0.1; done
refused lock "$VMON" img convert -O raw w.qcow2 out.raw
kill $HOLD; wait $HOLD 2>/dev/null; HOLD=
"$VMON" img convert -O raw w.qcow2 out.raw || bad "convert after the writer ended"
[ $fail -eq 0 ] && echo "lock: all passed"
exit $fail
