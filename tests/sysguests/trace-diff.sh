#!/usr/bin/env bash
# First divergence between vmon's software CPU and QEMU TCG on one guest: both trace every instruction
# (vmon --trace, QEMU -d exec,cpu -singlestep limited to the guest image with -dfilter), the traces are
# reduced to one line per instruction (RIP, general registers, RFLAGS) and compared from the first
# instruction at the guest's entry point. Instructions whose results differ by design (rdtsc, cpuid)
# make the registers differ right after them: judge the first difference with the source at hand.
# usage: tests/sysguests/trace-diff.sh GUEST [CONTEXT_LINES]   (env: BUILD, VMON, FULL=1, MAX=5)
set -eu
g=$1; ctx=${2:-3}
BUILD=${BUILD:-build}; VMON=${VMON:-$BUILD/vmon}
elf=$BUILD/sysguests/$g.elf
out=$BUILD/sysguests/trace-$g; mkdir -p "$out"
entry=$(readelf -h "$elf" | awk '/Entry point/ { print $4 }')
timeout 120 qemu-system-x86_64 -accel tcg -cpu max -kernel "$elf" -nographic -serial null -nodefaults \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -m 64 -singlestep -d exec,cpu,nochain \
    -dfilter 0x100000..0x400000 -D "$out/qemu.log" </dev/null >/dev/null 2>&1 || true
timeout 120 "$VMON" run --accel soft --kernel "$elf" --mem 64M --trace "$out/vmon.log" </dev/null \
    >"$out/vmon.serial" 2>&1 || true
# One line per instruction: "RIP RAX RBX RCX RDX RSI RDI RBP RSP R8..R15 RFL", 32-bit names widened.
reduce() {
    awk -v entry="$entry" '
        function hex16(h) { h = tolower(h); sub(/^0x/, "", h); return substr("0000000000000000", 1, 16 - length(h)) h }
        function flush() {
            if (have) {
                line = rip; for (k = 1; k <= nr; k++) line = line " " r[k]; line = line " " fl
                if (!on && rip == hex16(entry)) on = 1
                if (on) print line
            }
            have = 0; nr = 0
        }
        /^Trace / { flush(); next }
        /^(RAX|EAX|RSI|ESI|R8 |R12)=/ {
            for (i = 1; i <= NF; i++) if (index($i, "=")) { v = substr($i, index($i, "=") + 1); if (v != "") r[++nr] = hex16(v) }
            have = 1; next
        }
        /^(RIP|EIP)=/ { rip = hex16(substr($1, 5)); fl = hex16(substr($2, 5)); have = 1; next }
        END { flush() }' "$1"
}
# QEMU logs an instruction again when its block is re-executed (after self-modifying-code detection,
# or per iteration of a rep string instruction); keep the first of consecutive records at one RIP.
first_per_rip() { awk '$1 != prev { print } { prev = $1 }'; }
reduce "$out/qemu.log" | first_per_rip >"$out/qemu.insns"
[ -f "$out/vmon.log" ] || { echo "vmon wrote no trace:"; cat "$out/vmon.serial"; exit 1; }
reduce "$out/vmon.log" | first_per_rip >"$out/vmon.insns"
echo "qemu: $(wc -l <"$out/qemu.insns") instructions, vmon: $(wc -l <"$out/vmon.insns") (from entry $entry)"
# By default only the RIP column: the loaders leave registers multiboot does not define (ECX, ESI,
# ...) different, so the first control-flow divergence is the useful one. An instruction that faults
# is logged by QEMU but not by vmon (its trace line is written when the instruction completes
# decoding), so a hunk where QEMU has one record more is not a divergence. FULL=1 compares everything.
if [ "${FULL:-0}" = 1 ]; then
    n=$(cmp "$out/qemu.insns" "$out/vmon.insns" 2>/dev/null | awk '{ print $NF }' || true)
    [ -z "$n" ] && { echo "no divergence"; exit 0; }
    from=$((n > ctx ? n - ctx : 1))
    echo "first divergence at instruction $n (RIP RAX RBX RCX RDX RSI RDI RBP RSP R8-R15 RFL):"
    echo "--- qemu"; sed -n "${from},${n}p" "$out/qemu.insns"
    echo "--- vmon"; sed -n "${from},${n}p" "$out/vmon.insns"
    exit 1
fi
# Control-flow divergences, up to MAX (default 5): where each side went after the last common RIP.
# The first can be one of QEMU's own deviations (known-deviations.txt): look at the next ones then.
diff <(cut -d' ' -f1 "$out/qemu.insns") <(cut -d' ' -f1 "$out/vmon.insns") |
    awk '/^[0-9]+(,[0-9]+)?[acd][0-9]+(,[0-9]+)?$/ && $0 !~ /^[0-9]+d[0-9]+$/ {
             split($0, a, /[acd,]/); print a[1], a[3] + 0 }' | head -n "${MAX:-5}" >"$out/hunks"
[ -s "$out/hunks" ] || { echo "no divergence"; exit 0; }
while read -r q v; do
    last=$(sed -n "$((q > 1 ? q - 1 : 1))p" "$out/qemu.insns" | cut -d' ' -f1)
    qn=$(sed -n "${q}p" "$out/qemu.insns" | cut -d' ' -f1)
    vn=$(sed -n "${v}p" "$out/vmon.insns" | cut -d' ' -f1)
    fn=$(addr2line -f -e "$elf" "0x${last#0000000000}" 2>/dev/null | head -1)
    echo "after 0x${last#00000000} ($fn): qemu -> 0x${qn#00000000}, vmon -> 0x${vn#00000000}" \
         "(qemu record $q, vmon record $v)"
done <"$out/hunks"
exit 1
