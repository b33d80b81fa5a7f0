#!/usr/bin/env bash
# Seeds for fuzz-gdb: framed packets of each kind gdb sends (one session per file).
set -eu
dir=$1
mkdir -p "$dir"
frame() {   # body -> $body#cs
    local b=$1 sum=0 i
    for ((i = 0; i < ${#b}; i++)); do sum=$(( (sum + $(printf '%d' "'${b:i:1}")) % 256 )); done
    printf '$%s#%02x' "$b" "$sum"
}
n=0
seed() { n=$((n + 1)); { for p in "$@"; do frame "$p"; printf '+'; done; } >"$dir/seed$n"; }
seed "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+" "QStartNoAckMode" "?" "qfThreadInfo" "qsThreadInfo"
seed "qXfer:features:read:target.xml:0,ffb" "qXfer:features:read:target.xml:ffb,ffb" "g" "p10" "P10=0000010000000000"
seed "Hg1" "m10000,40" "M10000,4:cc90cc90" "X10004,2:ab" "m10000,8" "Hc-1" "vCont?"
seed "Z0,10010,1" "m10000,20" "z0,10010,1" "Z1,10020,1" "Z2,10040,8" "Z3,10048,4" "Z4,10050,2" "vCont;s:1;c" "?"
seed "z2,10040,8" "c" "s" "C05;10000" "S05" "vCont;c" "T2" "qThreadExtraInfo,2" "qC" "qAttached"
seed "qRcmd,696e666f20737461747573" "Qqemu.PhyMemMode:1" "m10000,10" "qqemu.PhyMemMode" "Qqemu.PhyMemMode:0"
seed "G$(printf '00%.0s' $(seq 600))" "vMustReplyEmpty" "D"
printf '\x03' >"$dir/seed-intr"
