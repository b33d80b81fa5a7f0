#!/usr/bin/env bash
# First divergence between vmon's software CPU and QEMU TCG on one guest: both trace every instruction
# (vmon --trace, QEMU -d exec,cpu -singlestep limited to the guest image with -dfilter), the traces are
# reduced to one line per instruction (RIP, general registers, RFLAGS) and compared from the first
# instruction at the guest's entry point. Instructions whose results differ by design (rdtsc, cpuid)
# make the registers differ right after them: judge the first difference with the source at hand.
# usage: tests/sysguests/trace-diff.sh GUEST [CONTEXT_LINES]   (env: BUILD, VMON)
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
reduce "$out/qemu.log" >"$out/qemu.insns"
[ -f "$out/vmon.log" ] || { echo "vmon wrote no trace:"; cat "$out/vmon.serial"; exit 1; }
reduce "$out/vmon.log" >"$out/vmon.insns"
echo "qemu: $(wc -l <"$out/qemu.insns") instructions, vmon: $(wc -l <"$out/vmon.insns") (from entry $entry)"
# By default only the RIP column: the loaders leave registers multiboot does not define (ECX, ESI,
# ...) different, so the first control-flow divergence is the useful one. FULL=1 compares everything.
if [ "${FULL:-0}" = 1 ]; then
    n=$(cmp "$out/qemu.insns" "$out/vmon.insns" 2>/dev/null | awk '{ print $NF }' || true)
else
    n=$(cmp <(cut -d' ' -f1 "$out/qemu.insns") <(cut -d' ' -f1 "$out/vmon.insns") 2>/dev/null |
        awk '{ print $NF }' || true)
fi
if [ -z "$n" ]; then echo "no divergence"; exit 0; fi
echo "first divergence at instruction $n (RIP RAX RBX RCX RDX RSI RDI RBP RSP R8-R15 RFL):"
from=$((n > ctx ? n - ctx : 1))
echo "--- qemu"; sed -n "${from},${n}p" "$out/qemu.insns"
echo "--- vmon"; sed -n "${from},${n}p" "$out/vmon.insns"
addr=$(sed -n "$((n > 1 ? n - 1 : 1))p" "$out/qemu.insns" | cut -d' ' -f1)
echo "--- instruction before the divergence: $addr"
addr2line -f -e "$elf" "$addr" 2>/dev/null | head -2 || true
