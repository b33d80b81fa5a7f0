#!/usr/bin/env bash
# make bench (issue 3): guest instructions per second of vmon's software CPU on an integer loop, a
# memcpy/strlen loop and a branchy loop (loops.h), and the same three on other registers and
# constants (-alt: nothing may recognise the benchmark's code), next to the host running the same
# instructions natively and QEMU TCG running the same guest ELF, in one run, as ratios. The guest
# prints marker lines around each loop; stamp.py times them from outside, so boot time is not
# counted.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
elf=$BUILD/isa/bench-guest.elf
tmo=${ISA_BENCH_TIMEOUT:-900}
for f in "$elf" "$BUILD/isa/bench-native" "$VMON"; do
    [ -e "$f" ] || { echo "isa bench: $f is missing (make bench builds it)"; exit 1; }
done
command -v python3 >/dev/null || { echo "isa bench: skip: python3 is needed to time the guests"; exit 0; }

echo "== isa bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
native=$("$BUILD/isa/bench-native")
soft=$(timeout "$tmo" python3 "$here/stamp.py" "$VMON" run --accel soft --kernel "$elf" --mem 64M)
if command -v qemu-system-x86_64 >/dev/null; then
    qemu=$(timeout "$tmo" python3 "$here/stamp.py" qemu-system-x86_64 -accel tcg -cpu max -kernel "$elf" \
           -nographic -serial stdio -nodefaults -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -m 64)
    qemu_note="qemu-system-x86_64 $(qemu-system-x86_64 --version | head -1 | awk '{print $4}') -accel tcg"
else
    qemu=""
    qemu_note="QEMU not installed: not measured"
fi

printf '%-10s %14s %12s %14s %14s %10s %10s\n' loop "guest insns" "native/s" "vmon soft/s" "QEMU TCG/s" \
       soft:native soft:QEMU
echo "$native" | while read -r name insns secs result; do
    s=$(echo "$soft" | awk -v n="$name" '$1 == n { print $2, $3 }')
    q=$(echo "$qemu" | awk -v n="$name" '$1 == n { print $2, $3 }')
    awk -v name="$name" -v insns="$insns" -v ns="$secs" -v nres="$result" -v s="$s" -v q="$q" '
    function rate(x) { return x >= 1e9 ? sprintf("%.2f G", x / 1e9) : sprintf("%.1f M", x / 1e6) }
    BEGIN {
        split(s, sv, " "); split(q, qv, " ")
        nr = insns / ns
        sr = sv[1] > 0 ? insns / sv[1] : 0
        qr = qv[1] > 0 ? insns / qv[1] : 0
        note = ""
        if (s != "" && sv[2] != nres) note = note " (vmon result " sv[2] " != host " nres ")"
        if (q != "" && qv[2] != nres) note = note " (QEMU result " qv[2] " != host " nres ")"
        printf "%-10s %14d %12s %14s %14s %10s %10s%s\n", name, insns, rate(nr),
               sr ? rate(sr) : "failed", q == "" ? "-" : rate(qr),
               sr ? sprintf("%.3f", sr / nr) : "-", (sr && qr) ? sprintf("%.2f", sr / qr) : "-", note
    }'
done
echo "(native: best of 3 in-process runs; vmon: $VMON run --accel soft; $qemu_note; both emulators run"
echo " build/isa/bench-guest.elf, a multiboot kernel, timed between its serial markers)"
[ -n "$soft" ] || { echo "isa bench: vmon did not run the bench guest"; exit 1; }
