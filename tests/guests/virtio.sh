#!/usr/bin/env bash
# The test guest's own virtio driver against vmon's virtio-blk-pci, under one accelerator:
#   virtio-blk      reads what the host wrote, writes (direct and indirect chains), flushes, reads
#                   back, batches that wrap the ring; the host then checks every sector of the image
#   virtio-hostile  malformed chains (loops, out-of-RAM and MMIO addresses, zero and 4 GiB lengths,
#                   self-referencing indirect tables, chains longer than the queue): vmon keeps
#                   running, the device goes NEEDS_RESET and serves again after a reset, and the
#                   image is byte-for-byte unchanged
# Under kvm, virtio-blk also counts exits (--exit-stats): where the host's KVM takes the ioeventfd,
# no notify write may reach vmon, and with ioeventfd=off every one does; completions come through
# an irqfd where KVM takes one (the guest needs an interrupt per completion either way).
# Invoked through links <test>-<accel> (tests/guests/build.mk) or as `virtio.sh TEST ACCEL`.
# Exit 0 pass, 77 skip, 1 fail.
set -u
if [ $# -eq 2 ]; then
    test=$1 accel=$2
else
    name=$(basename "$0")
    test=${name%-*} accel=${name##*-}
fi
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
kernel=$BUILD/guests/bz64.bzImage
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL ($test under $accel): $*"; exit 1; }

case $accel in
    kvm)  (exec 3<>/dev/kvm) 2>/dev/null || skip "/dev/kvm not available";;
    soft) ;;
    *)    fail "unknown accelerator $accel";;
esac
command -v python3 >/dev/null || skip "python3 is needed to make and check the image"
[ -f "$kernel" ] || fail "$kernel is missing (make guests)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img seed=$((RANDOM % 200 + 1)) host=$((RANDOM % 50 + 201))

# image.py make|check-blk FILE HOST SEED: 1 MiB, sectors 0-7 in the host's pattern, the rest zero;
# check-blk wants the guest's writes (sectors 16-31 and 64-103 in its pattern) and nothing else.
cat >"$tmp/image.py" <<'PY'
import sys
what, path, host, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def sector(s, seed):
    return bytes((s * 131 + i * 7 + (i >> 8) + seed) & 0xff for i in range(512))
want = bytearray(1 << 20)
for s in range(8):
    want[s * 512:(s + 1) * 512] = sector(s, host)
if what == "make":
    open(path, "wb").write(want)
    sys.exit(0)
for s in list(range(16, 32)) + list(range(64, 104)):
    want[s * 512:(s + 1) * 512] = sector(s, seed)
got = open(path, "rb").read()
bad = [i // 512 for i in range(0, len(want), 512) if got[i:i + 512] != want[i:i + 512]]
if len(got) != len(want) or bad:
    print("image differs: size %d, sectors %s" % (len(got), bad[:10]))
    sys.exit(1)
PY
python3 "$tmp/image.py" make "$img" "$host" 0 || fail "making the image"
before=$(md5sum <"$img")

case $test in
    virtio-blk)
        append="test=virtio-blk seed=$seed host=$host"
        want='virtio-blk slot [0-9]+ gsi [0-9]+ capacity 2048 features
virtio-blk read host data ok
virtio-blk write, flush, read back ok \(direct and indirect\)
virtio-blk id "vmon-disk0"
virtio-blk 40 writes in batches of 5 ok
virtio-blk ok, [1-9][0-9]* interrupts';;
    virtio-hostile)
        append="test=virtio-hostile host=$host"
        want='hostile loop: needs reset \(status 0x4f\)
hostile out-of-ram: needs reset
hostile len-4g: needs reset
hostile indirect-self: needs reset
hostile indirect-longer-than-queue: needs reset
hostile avail-idx-jump: needs reset
hostile rings 0: needs reset
hostile rings 3: needs reset
virtio-hostile [0-9]+ resets, device works after reset';;
    *)  fail "unknown test $test";;
esac
# run [DRIVE-OPTIONS] [VMON-OPTIONS...]: one boot, checked; sets out.
run() {
    local drive="file=$img,format=raw,if=virtio$1"
    shift
    args=(run --accel "$accel" --mem 64M --kernel "$kernel" --append "$append" --drive "$drive" "$@")
    out=$(timeout 120 "$VMON" "${args[@]}" </dev/null 2>&1)
    local rc=$?
    echo "\$ $VMON ${args[*]}"
    echo "$out" | grep -v '^  \(pio\|mmio\) 0x' | tail -n 40
    echo "(exit status $rc)"
    [ $rc -eq 124 ] && fail "timed out"
    # vmon could not start this accelerator here (exit 2 with its reason): not this test's failure.
    if [ $rc -eq 2 ] && ! grep -q '^vmon-guest:' <<<"$out"; then
        skip "$(grep -m1 "accel $accel" <<<"$out" || echo "$out" | head -n 1)"
    fi
    while IFS= read -r re; do
        grep -Eq -- "$re" <<<"$out" || fail "no line matches: $re"
    done <<<"$want"
    grep -q 'FAIL\|exception [0-9]\|unknown test' <<<"$out" && fail "the guest reported a failure"
    [ $rc -eq 0 ] || fail "exit status $rc, want 0"
}
# exits_at ADDR: the exits --exit-stats counted at that MMIO address.
exits_at() { awk -v a="mmio $1" '$1 " " $2 == a { n = $3 } END { print n + 0 }' <<<"$out"; }

if [ "$accel" = kvm ] && [ "$test" = virtio-blk ]; then
    run "" --exit-stats
    bell=$(sed -n 's/^vmon: ioeventfd at \(0x[0-9a-f]*\): on$/\1/p' <<<"$out" | head -n 1)
    grep '^vmon: \(ioeventfd\|irqfd\)' <<<"$out"
    if [ -n "$bell" ]; then
        n=$(exits_at "$bell")
        [ "$n" -eq 0 ] || fail "ioeventfd on at $bell, yet $n notify exits"
        python3 "$tmp/image.py" make "$img" "$host" 0 || fail "making the image"
        run ",ioeventfd=off" --exit-stats
        n=$(exits_at "$bell")
        [ "$n" -gt 0 ] || fail "ioeventfd=off, yet no notify exits at $bell"
        echo "notify exits at $bell: 0 with ioeventfd, $n without"
    else
        echo "note: this host's KVM does not take the ioeventfd (notify writes exit)"
    fi
else
    run ""
fi
if [ "$test" = virtio-blk ]; then
    python3 "$tmp/image.py" check "$img" "$host" "$seed" || fail "the image is not what the guest wrote"
else
    [ "$(md5sum <"$img")" = "$before" ] || fail "the image changed"
fi
echo "ok"
