#!/usr/bin/env bash
# Writes tests/sysguests/<guest>.out from a QEMU TCG run (-cpu max): the expectations are the guest's own
# architectural checks, QEMU proves them. Lines QEMU is known to get wrong (known-deviations.txt,
# "qemu-tcg") come out as FAIL: fix them by hand to the architectural PASS line and say why there.
# usage: tests/sysguests/mkout.sh [BUILD] GUEST...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD=build
[ -d "${1:-}" ] && { BUILD=$1; shift; }
# A FAIL line of a check QEMU is known to get wrong becomes the PASS line the architecture asks for:
# "FAIL n: got X expected Y" -> "PASS n = Y", "FAIL n" -> "PASS n".
fix_known() {
    awk -v name="$1" -v known="$here/known-deviations.txt" '
        BEGIN {
            while ((getline l < known) > 0) {
                split(l, f, " "); if (f[1] != "qemu-tcg" || f[2] != name) continue
                p = l; sub(/^[^ ]+ +[^ ]+ +/, "", p); sub(/ +\|.*$/, "", p); pre[++np] = p
            }
        }
        /^SUMMARY / { next }
        /^(opt: )?FAIL / {
            o = ""; if (substr($0, 1, 5) == "opt: ") o = "opt: "
            chk = $0; sub(/^(opt: )?FAIL /, "", chk)
            for (i = 1; i <= np; i++) if (index(chk, pre[i]) == 1) {
                if (match(chk, /: got 0x[0-9a-f]+ expected 0x[0-9a-f]+$/)) {
                    e = substr(chk, RSTART); sub(/^.* expected /, "", e)
                    chk = substr(chk, 1, RSTART - 1) " = " e
                }
                $0 = o "PASS " chk; break
            }
        }
        { print }'
}

for g in "$@"; do
    extra=; [ "$g" = smp ] && extra="-smp 2"; [ "$g" = ioapic ] && extra="-device pc-testdev"
    # shellcheck disable=SC2086
    timeout 60 qemu-system-x86_64 -accel tcg -cpu max $extra -kernel "$BUILD/sysguests/$g.elf" -nographic \
        -serial stdio -nodefaults -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -m 64 </dev/null |
        tr -d '\r' | sed -n "/^$g: /,\$p" | fix_known "$g" >"$here/$g.out" || true
    echo "$g: $(grep -c '^PASS' "$here/$g.out") PASS, $(grep -c 'FAIL' "$here/$g.out") FAIL lines"
    if awk -v g="$g" '$1 == "qemu-tcg" && $2 == g && substr($3, 1, 1) == "~" { f = 1 } END { exit !f }' \
           "$here/known-deviations.txt"; then
        echo "$g: QEMU does not get through the last checks (a ~ entry): append their PASS lines by hand"
    fi
    grep 'FAIL' "$here/$g.out" || true
done
