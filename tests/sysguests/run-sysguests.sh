#!/usr/bin/env bash
# Runs every system-level test guest under vmon (--accel soft, --accel kvm) and, where it is installed,
# under QEMU TCG, the oracle that proves the expected outputs. A run passes when the guest's output
# equals <guest>.out and it left through isa-debug-exit with value 0 (status 1). Lines starting with
# "opt:" (optional CPU features) are left out of the comparison, but an "opt: FAIL" fails the run.
# known-deviations.txt lists, per oracle, checks an oracle is known to get wrong, with the reason:
# those lines are dropped from both sides for that oracle only. For vmon's software CPU ("soft") each
# entry points to its write-up in FINDINGS.md and goes away when the CPU is fixed.
# Exit: 0 if nothing failed and something ran, 77 if every run was skipped, 1 if any run failed.
# Env: VMON (default build/vmon), BUILD (default build), SYSGUESTS (names, default all),
#      SYSGUEST_ACCELS (default "qemu-tcg soft kvm"), VMON_QUICK=1 runs vmon only, no QEMU.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
guests=${SYSGUESTS:-$(cd "$here" && ls *.out | sed 's/\.out$//')}
accels=${SYSGUEST_ACCELS:-qemu-tcg soft kvm}
[ "${VMON_QUICK:-0}" = 1 ] && accels=${accels//qemu-tcg/}
tmo=${SYSGUEST_TIMEOUT:-60}
pass=0; fail=0; skip=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The awk prologue the functions below share: reads known-deviations.txt, keeps the entries for awk
# variables name and oracle, as check-name prefixes: pre[1..np] drop a line, stop[1..ns] ("~<check>")
# end the comparison there.
load_known='
    BEGIN {
        while ((getline l < known) > 0) {
            if (l ~ /^#/ || l !~ /[^ ]/) continue
            split(l, f, " "); if (f[1] != oracle || f[2] != name) continue
            p = l; sub(/^[^ ]+ +[^ ]+ +/, "", p); sub(/ +\|.*$/, "", p)
            if (substr(p, 1, 1) == "~") stop[++ns] = substr(p, 2); else pre[++np] = p
        }
    }'

# The comparable part of a run: from the guest's title line ("<name>: ...") on, CRs dropped, without
# the SUMMARY and opt: lines, without vmon's own diagnostics ("vmon: ..." on stderr, e.g. an unmapped
# port logged once), and without lines whose check name starts with a known deviation.
filter() {   # filter NAME ORACLE FILE
    awk -v name="$1" -v oracle="$2" -v known="$here/known-deviations.txt" "$load_known"'
        { sub(/\r$/, "") }
        !on && index($0, name ": ") == 1 { on = 1 }
        !on || /^SUMMARY / || /^vmon: / { next }
        {
            chk = $0; sub(/^(opt: )?(PASS|FAIL) /, "", chk)
            for (i = 1; i <= ns; i++) if (index(chk, stop[i]) == 1) exit
            if (/^opt: /) next
            for (i = 1; i <= np; i++) if (index(chk, pre[i]) == 1) next
            print
        }' "$3"
}

# "~<check>" entries: from that check on, the oracle may not get through the guest (it accepts a
# write that leaves it unable to go on): the comparison stops there, whatever the exit status.
truncated() {   # truncated NAME ORACLE
    awk -v g="$1" -v o="$2" '$1 == o && $2 == g && substr($3, 1, 1) == "~" { found = 1 } END { exit !found }' \
        "$here/known-deviations.txt"
}

fixed_known() {   # known entries whose lines all PASS now: the entry can go
    awk -v name="$1" -v oracle="$2" -v known="$here/known-deviations.txt" "$load_known"'
        /^(opt: )?(PASS|FAIL) / { ok = $0 ~ /PASS /; chk = $0; sub(/^(opt: )?(PASS|FAIL) /, "", chk)
            for (i = 1; i <= np; i++) if (index(chk, pre[i]) == 1) { seen[i] = 1; if (!ok) bad[i] = 1 } }
        END { for (i = 1; i <= np; i++) if (seen[i] && !bad[i]) print pre[i] }' "$3"
}

opt_failures() {   # opt: FAIL lines not covered by a known deviation
    awk -v name="$1" -v oracle="$2" -v known="$here/known-deviations.txt" "$load_known"'
        { chk = $0; sub(/^(opt: )?(PASS|FAIL) /, "", chk); for (i = 1; i <= ns; i++) if (index(chk, stop[i]) == 1) exit }
        /^opt: FAIL / { for (i = 1; i <= np; i++) if (index(chk, pre[i]) == 1) next; print }' "$3"
}

# KVM on a host without VT-x/AMD-V emulates ring-0 code and stops with an internal error on some
# instructions (int3, cmpxchg16b, xrstor): such a guest cannot run there, which is not a CPU bug.
kvm_emulator_limit() {   # prints the reason when the log shows that limitation
    cat "$1" "$1.err" | grep -q -i -E 'internal error|emulation failure' || return 1
    echo "host KVM cannot emulate an instruction this guest runs ($(cat "$1" "$1.err" |
        grep -m1 -i -E 'internal error|emulation failure' | tr -s ' ' | cut -c1-80))"
}

# "<oracle> <guest> * | why": that oracle cannot run the guest at all (checked by hand, see the file).
whole_guest_known() {
    awk -v g="$1" -v o="$2" '$1 == o && $2 == g && $3 == "*" { sub(/^[^|]*\| */, ""); print; found = 1 }
        END { exit !found }' "$here/known-deviations.txt"
}

# Under ASan/UBSan a known soft-CPU bug may stop vmon with a sanitizer report ("soft-san <guest>
# <file:line> | FINDINGS.md #N" in known-deviations.txt): reported skipped with that reason.
sanitizer_known() {   # sanitizer_known GUEST STDERR
    local at; at=$(grep -m1 -o -E '[a-z/_.-]+\.c:[0-9]+' <(grep -E 'runtime error|AddressSanitizer' "$2")) || return 1
    awk -v g="$1" -v at="$at" '$1 == "soft-san" && $2 == g && $3 == at { sub(/^[^|]*\| */, "")
        print "vmon stops with a sanitizer report at " at ", a known soft-CPU bug (" $0 ")"; f = 1 }
        END { exit !f }' "$here/known-deviations.txt"
}

# Guests that need more than the default machine.
vmon_opts() { case $1 in smp) echo "--cpus 2";; esac; }
qemu_opts() { case $1 in smp) echo "-smp 2";; ioapic) echo "-device pc-testdev";; esac; }

run_one() {   # run_one GUEST ACCEL
    local g=$1 a=$2 elf=$BUILD/sysguests/$1.elf log=$work/$1.$2.log rc reason oracle=$2
    if [ ! -f "$elf" ]; then echo "FAIL $g [$a]: $elf not built"; fail=$((fail + 1)); return; fi
    case $a in
    qemu-tcg)
        if ! command -v qemu-system-x86_64 >/dev/null; then
            echo "SKIP $g [$a]: skip: qemu-system-x86_64 not installed"; skip=$((skip + 1)); return
        fi
        # shellcheck disable=SC2046
        timeout "$tmo" qemu-system-x86_64 -accel tcg -cpu max $(qemu_opts "$g") -kernel "$elf" -nographic -serial stdio \
            -nodefaults -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -m 64 </dev/null >"$log" 2>"$log.err"
        rc=$?;;
    soft|kvm)
        if [ "$a" = kvm ] && ! [ -c /dev/kvm -a -r /dev/kvm -a -w /dev/kvm ]; then
            echo "SKIP $g [$a]: skip: /dev/kvm not available"; skip=$((skip + 1)); return
        fi
        # The guest's serial output is stdout; vmon's own messages (stderr) stay out of the comparison.
        # shellcheck disable=SC2046
        timeout "$tmo" "$VMON" run --accel "$a" $(vmon_opts "$g") --kernel "$elf" --mem 64M </dev/null >"$log" 2>"$log.err"
        rc=$?
        if grep -q -E 'not built yet|not implemented' "$log.err"; then
            echo "SKIP $g [$a]: skip: vmon run --accel $a: $(grep -m1 -E 'not built yet|not implemented' "$log.err")"
            skip=$((skip + 1)); return
        fi
        # A KVM without VT-x/AMD-V under it (it emulates ring 0) is an oracle of its own.
        if [ "$a" = kvm ]; then
            oracle=kvm; grep -q -w -E 'vmx|svm' /proc/cpuinfo || oracle=kvm-novirt
        fi
        if [ "$a" = kvm ] && [ "$rc" -eq 2 ] && grep -q '/dev/kvm' "$log.err"; then
            echo "SKIP $g [$a]: skip: $(grep -m1 /dev/kvm "$log.err")"; skip=$((skip + 1)); return
        fi;;
    esac
    local want=$work/$g.want got=$work/$g.$a.got
    filter "$g" "$oracle" "$here/$g.out" >"$want"
    filter "$g" "$oracle" "$log" >"$got"
    local optfail; optfail=$(opt_failures "$g" "$oracle" "$log")
    if [ "$rc" -eq 1 ] || { { [ "$rc" -eq 3 ] || truncated "$g" "$oracle"; } && grep -q "^$g: " "$log" &&
                             ! grep -q '^FAIL' "$got"; }; then
        if cmp -s "$want" "$got" && [ -z "$optfail" ]; then
            local excused; excused=$(grep -c -E '^(opt: )?FAIL' "$log")
            if [ "$excused" -gt 0 ]; then
                if [ "$oracle" = soft ]; then
                    echo "PASS $g [$a] with $excused FAIL lines of known bugs (FINDINGS.md)"
                else
                    echo "PASS $g [$a] ($excused FAIL lines: known deviations of this oracle)"
                fi
            else
                echo "PASS $g [$a]"
            fi
            if truncated "$g" "$oracle" && ! grep -q '^SUMMARY ' "$log"; then
                echo "    note: [$a] did not get through $g's last checks (a \"~\" entry in known-deviations.txt)"
            fi
            if [ "$oracle" = soft ]; then
                fixed_known "$g" "$oracle" "$log" | sed 's/^/    note: passes now, its known-deviations.txt entry can go: /'
            fi
            pass=$((pass + 1)); return
        fi
    fi
    if [ "$oracle" = soft ] && reason=$(sanitizer_known "$g" "$log.err"); then
        echo "SKIP $g [$a]: skip: $reason"; skip=$((skip + 1)); return
    fi
    if reason=$(whole_guest_known "$g" "$oracle"); then
        echo "SKIP $g [$a]: skip: $reason"; skip=$((skip + 1)); return
    fi
    if [ "$a" = kvm ] && reason=$(kvm_emulator_limit "$log"); then
        echo "SKIP $g [$a]: skip: $reason"; skip=$((skip + 1)); return
    fi
    echo "FAIL $g [$a] (status $rc)"; fail=$((fail + 1))
    diff "$want" "$got" | head -n 20 | sed 's/^/    /'
    [ -n "$optfail" ] && echo "$optfail" | sed 's/^/    /'
    grep -v -E '^(PASS|FAIL|opt:)' "$log" | tail -n 5 | sed 's/^/    log: /'
    tail -n 5 "$log.err" | sed 's/^/    stderr: /'
}

for g in $guests; do
    for a in $accels; do
        run_one "$g" "$a"
    done
done
echo "sysguests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -gt 0 ] && exit 1
if [ "$pass" -eq 0 ]; then
    echo "skip: no system-level guest run was possible (reasons above)"
    exit 77
fi
exit 0
