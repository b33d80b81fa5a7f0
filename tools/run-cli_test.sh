#!/usr/bin/env bash
# vmon run, tried the way a new user would get it wrong: every case must print exactly one line on
# stderr, starting "vmon: ", and exit 2 (never crash, never hang).
set -u
VMON=${VMON:-build/vmon}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect_bad() {   # description, then the command's arguments
    local what=$1; shift
    timeout 10 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$? lines
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q '^vmon: ' "$tmp/err"; then
        echo "FAIL: $what: status $rc, $lines stderr lines:"; sed 's/^/    /' "$tmp/err"
        fail=1
    else
        echo "ok: $what: $(cat "$tmp/err")"
    fi
}

printf 'this is not a kernel\n' >"$tmp/text"
head -c $((3 * 1024 * 1024)) /dev/zero >"$tmp/big-initrd"

# No kernel is a firmware boot (SeaBIOS, as QEMU with no -kernel); an initrd without a kernel is not.
expect_bad "--initrd without a kernel" "$VMON" run --initrd "$tmp/text"
expect_bad "missing kernel file" "$VMON" run --kernel "$tmp/nonexistent"
expect_bad "a directory as kernel" "$VMON" run --kernel "$tmp"
mkfifo "$tmp/fifo"
expect_bad "a FIFO as kernel" "$VMON" run --kernel "$tmp/fifo" --accel soft
expect_bad "a FIFO as initrd" "$VMON" run --kernel "$tmp/text" --initrd "$tmp/fifo" --accel soft
expect_bad "a text file as kernel" "$VMON" run --kernel "$tmp/text" --accel auto
expect_bad "--mem 0" "$VMON" run --kernel "$tmp/text" --mem 0
expect_bad "--mem garbage" "$VMON" run --kernel "$tmp/text" --mem lots
expect_bad "--mem larger than the host" "$VMON" run --kernel "$tmp/text" --mem 64T
expect_bad "initrd bigger than RAM" "$VMON" run --kernel "$tmp/text" --initrd "$tmp/big-initrd" --mem 2M
expect_bad "unknown option" "$VMON" run --kernel "$tmp/text" --frobnicate
expect_bad "unknown accelerator" "$VMON" run --kernel "$tmp/text" --accel xen
expect_bad "unknown CPU feature" "$VMON" run --kernel "$tmp/text" --cpu-features=-cx16,-bogus
expect_bad "bad --cpus" "$VMON" run --kernel "$tmp/text" --cpus 1000
expect_bad "bad --jit" "$VMON" run --kernel "$tmp/text" --jit maybe
expect_bad "QEMU option vmon lacks" "$VMON" -kernel "$tmp/text" -netdev user,id=n0
expect_bad "QEMU device vmon lacks" "$VMON" -kernel "$tmp/text" -device virtio-net-pci
expect_bad "virtio-blk-pci without drive=" "$VMON" -kernel "$tmp/text" -device virtio-blk-pci
expect_bad "-device for a drive that is not there" "$VMON" -kernel "$tmp/text" -device virtio-blk-pci,drive=d9
expect_bad "-hda over a missing image" "$VMON" -accel tcg -hda "$tmp/nonexistent.img"
expect_bad "-drive if=ide with media=floppy" "$VMON" -drive file="$tmp/text",if=ide,media=floppy
expect_bad "-boot with a bad drive letter" "$VMON" -boot z
expect_bad "a machine type vmon lacks" "$VMON" -kernel "$tmp/text" -machine q35
expect_bad "-snapshot over a missing image" "$VMON" -kernel "$tmp/text" -snapshot -accel tcg \
    -drive file="$tmp/nonexistent.qcow2",format=qcow2,if=virtio
expect_bad "QEMU -m garbage" "$VMON" -kernel "$tmp/text" -m 0

# --help and --version succeed on stdout.
"$VMON" run --help | grep -q -- '--kernel' || { echo "FAIL: --help"; fail=1; }
"$VMON" run --version | grep -q '^vmon ' || { echo "FAIL: --version"; fail=1; }

# /dev/kvm not openable with --accel kvm: run as an unprivileged user where /dev/kvm is root-only.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -e /dev/kvm ] &&
   ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r /dev/kvm 2>/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$VMON" 2>/dev/null; then
    chmod 755 "$tmp"; chmod 644 "$tmp/text"
    expect_bad "--accel kvm without /dev/kvm access" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$VMON" run --kernel "$tmp/text" --accel kvm
elif [ ! -e /dev/kvm ]; then
    expect_bad "--accel kvm without /dev/kvm" "$VMON" run --kernel "$tmp/text" --accel kvm
else
    echo "note: cannot simulate an unopenable /dev/kvm here (not root, or it is world-accessible)"
fi
# -machine accel=kvm:tcg takes the first that runs; KVM where /dev/kvm opens but the CPU shows no
# vmx/svm (a paravirtual KVM) says in one line that ring-0 code will be emulated. The text "kernel"
# stops vmon after the accelerator is picked.
"$VMON" -kernel "$tmp/text" -machine accel=kvm:tcg >/dev/null 2>"$tmp/err"
if grep -q '^vmon: accel' "$tmp/err" && ! grep -q 'ring-0 code will be emulated' "$tmp/err"; then
    echo "FAIL: -machine accel=kvm:tcg did not fall back: $(cat "$tmp/err")"; fail=1
fi
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
    for a in "--accel kvm" "-enable-kvm" "-machine accel=kvm:tcg"; do
        "$VMON" -kernel "$tmp/text" $a >/dev/null 2>"$tmp/err"
        n=$(grep -c 'ring-0 code will be emulated and Linux may not boot' "$tmp/err")
        [ "$n" = 1 ] || { echo "FAIL: $a on a KVM without vmx/svm: want one warning line, got: $(cat "$tmp/err")"; fail=1; }
    done
    "$VMON" -kernel "$tmp/text" --accel auto >/dev/null 2>"$tmp/err"
    ! grep -q 'ring-0' "$tmp/err" || { echo "FAIL: --accel auto warned: $(cat "$tmp/err")"; fail=1; }
    echo "ok: KVM without vmx/svm warned once under --accel kvm, -enable-kvm, accel=kvm:tcg"
elif grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
    "$VMON" -kernel "$tmp/text" --accel kvm >/dev/null 2>"$tmp/err"
    ! grep -q 'ring-0' "$tmp/err" || { echo "FAIL: --accel kvm warned on a host with vmx/svm"; fail=1; }
fi
exit $fail
