#!/usr/bin/env bash
# Named CPU models and the -smp topology under --accel soft (issue 11): Debian's kernel boots with
# -cpu qemu64, EPYC, Skylake-Client and max, and /proc/cpuinfo shows each model's vendor_id, family,
# model, name and flags (the model's features the software CPU implements, none it lacks). With
# -smp 4,sockets=2,cores=2 (under the default model and under EPYC) /sys's topology and /proc/cpuinfo
# say 2 packages of 2 cores: physical id / core id 0/0 0/1 1/0 1/1, 2 siblings, 2 cpu cores.
set -u
. "$(dirname "$0")/lib.sh"
need_guest cloud

CMD='grep -E "^(vendor_id|cpu family|model|model name|physical id|core id|siblings|cpu cores|flags)[[:space:]]*:" /proc/cpuinfo
for c in /sys/devices/system/cpu/cpu[0-9]*; do echo "TOPO $(cat $c/topology/physical_package_id) $(cat $c/topology/core_id)"; done'

# field LOG NAME: the first value of a /proc/cpuinfo field.
field() { grep -a -m1 "^$2[[:space:]]*:" "$1" | sed 's/^[^:]*: *//' | tr -d '\r'; }

# model_boot CPU VENDOR FAMILY MODEL NAME HAVE LACK [-smp ...]: one boot, checked.
model_boot() {
    local cpu=$1 vendor=$2 family=$3 model=$4 name=$5 have=$6 lack=$7
    shift 7
    local log=$TMPD/$cpu
    boot "$log" -cpu "$cpu" "$@" --kernel "$KERNEL" --initrd "$INITRD" \
        --append "console=ttyS0 quiet vmon.cmd64=$(cmd64 "$CMD")"
    expect_booted "$log"
    [ "$(field "$log" vendor_id)" = "$vendor" ] || fail "$cpu: vendor_id $(field "$log" vendor_id), want $vendor"
    [ "$(field "$log" 'cpu family')" = "$family" ] || fail "$cpu: cpu family $(field "$log" 'cpu family'), want $family"
    [ "$(field "$log" model)" = "$model" ] || fail "$cpu: model $(field "$log" model), want $model"
    [ "$(field "$log" 'model name')" = "$name" ] || fail "$cpu: model name '$(field "$log" 'model name')', want '$name'"
    local flags=" $(field "$log" flags) " f
    for f in $have; do
        case $flags in *" $f "*) ;; *) fail "$cpu: flag $f missing from:$flags";; esac
    done
    for f in $lack; do
        case $flags in *" $f "*) fail "$cpu: flag $f should not be there:$flags";; esac
    done
    ok "$cpu: $vendor family $family model $model '$name', flags as the model says"
}

# topology LOG: 2 sockets of 2 cores.
topology() {
    local log=$1 got
    got=$(grep -a '^TOPO ' "$log" | tr -d '\r' | tr '\n' ' ')
    [ "$got" = "TOPO 0 0 TOPO 0 1 TOPO 1 0 TOPO 1 1 " ] || fail "/sys topology: '$got', want packages 0 0 1 1, cores 0 1 0 1"
    [ "$(grep -a '^physical id' "$log" | sed 's/.*: //' | tr -d '\r' | tr '\n' ' ')" = "0 0 1 1 " ] ||
        fail "/proc/cpuinfo physical id: $(grep -a '^physical id' "$log" | tr '\n' ' ')"
    [ "$(grep -a '^core id' "$log" | sed 's/.*: //' | tr -d '\r' | tr '\n' ' ')" = "0 1 0 1 " ] ||
        fail "/proc/cpuinfo core id: $(grep -a '^core id' "$log" | tr '\n' ' ')"
    [ "$(field "$log" siblings)" = 2 ] || fail "siblings $(field "$log" siblings), want 2"
    [ "$(field "$log" 'cpu cores')" = 2 ] || fail "cpu cores $(field "$log" 'cpu cores'), want 2"
    ok "-smp 4,sockets=2,cores=2: 2 packages of 2 cores in /sys and /proc/cpuinfo"
}

model_boot qemu64 AuthenticAMD 15 107 "QEMU Virtual CPU version 2.5+" \
    "fpu pse tsc msr pae cx8 apic sep pge cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm pni cx16 hypervisor lahf_lm" \
    "ssse3 sse4_1 sse4_2 popcnt rdtscp pdpe1gb fsgsbase tsc_deadline_timer abm svm avx"
model_boot Skylake-Client GenuineIntel 6 94 "Intel Core Processor (Skylake)" \
    "ssse3 sse4_1 sse4_2 popcnt cx16 tsc_deadline_timer fsgsbase rdtscp lahf_lm abm hypervisor x2apic" \
    "pdpe1gb avx avx2 aes xsave topoext"
model_boot EPYC AuthenticAMD 23 1 "AMD EPYC Processor" \
    "ssse3 sse4_1 sse4_2 popcnt cx16 fsgsbase pdpe1gb rdtscp lahf_lm abm topoext hypervisor ht cmp_legacy" \
    "tsc_deadline_timer avx avx2 aes xsave sha_ni" -smp 4,sockets=2,cores=2
topology "$TMPD/EPYC"
model_boot max GenuineIntel 6 94 "vmon software CPU" \
    "ssse3 sse4_1 sse4_2 popcnt cx16 tsc_deadline_timer fsgsbase pdpe1gb rdtscp lahf_lm abm hypervisor ht x2apic la57" \
    "avx aes xsave" -smp 4,sockets=2,cores=2
topology "$TMPD/max"
