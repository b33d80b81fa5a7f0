#!/usr/bin/env bash
# Seeds for make fuzz-qmp: one QMP exchange per file (first byte: 0x01, negotiated, read all at
# once; 0x00: negotiation first; 0x0b: reads of 5 bytes), and a dictionary of QMP's words.
# Usage: fuzz-qmp-seeds.sh CORPUS_DIR DICT_FILE
set -eu
dir=$1 dict=$2
mkdir -p "$dir"
n=0
seed() { n=$((n + 1)); printf "$1" >"$dir/seed$n"; }
seed '\x00{"execute":"qmp_capabilities"}\n{"execute":"query-status","id":1}\n'
seed '\x01{"execute":"query-commands"}{"execute":"query-version"}{"execute":"query-cpus-fast"}'
seed '\x01{"execute":"query-block"}\n{"execute":"query-kvm"}\n{"execute":"query-name"}\n'
seed '\x01{"execute":"stop"}\n{"execute":"cont"}\n{"execute":"system_powerdown"}\n'
seed '\x01{"execute":"x-vmon-translate","arguments":{"addr":4096}}\n'
seed '\x01{"execute":"x-vmon-translate","arguments":{"addr":18446744073709547520,"cpu-index":1}}\n'
seed '\x01{"execute":"human-monitor-command","arguments":{"command-line":"info translate 0x1000 1"}}\n'
seed '\x01{"execute":"human-monitor-command","arguments":{"command-line":"info registers"}}\n'
seed '\x01{"execute":"human-monitor-command","arguments":{"command-line":"xp /16g 0x1000"}}\n'
seed '\x01{"execute":"human-monitor-command","arguments":{"command-line":"x /8b 0x2000"}}\n'
seed '\x01{"execute":"human-monitor-command","arguments":{"command-line":"gva2gpa 0x2000"}}\n'
seed '\x01{"execute":"human-monitor-command","arguments":{"command-line":"info cpus"}}\n'
seed '\x01{"execute":"snapshot-save","arguments":{"job-id":"j","tag":"t","vmstate":"virtio0","devices":["virtio0"]}}\n{"execute":"query-jobs"}\n{"execute":"job-dismiss","arguments":{"id":"j"}}\n'
seed '\x01{"execute":"snapshot-delete","arguments":{"job-id":"d","tag":"t","devices":[]}}\n{"execute":"human-monitor-command","arguments":{"command-line":"info snapshots"}}\n'
seed '\x0b{"execute": ]\n{"execute":"system_reset"}\n{"execute":"quit"}\n'
seed '\x01[[[[{"a":1}]]]]\n{"execute":5}\n{"execute":"stop","arguments":[]}\n'
{
    for w in execute arguments id qmp_capabilities query-status query-version query-commands \
             query-cpus-fast query-block query-kvm query-name stop cont system_reset system_powerdown \
             quit human-monitor-command x-vmon-translate command-line addr cpu-index "info " \
             translate registers mtree exits block network status version cpus "xp /" "x /" gva2gpa \
             snapshot-save snapshot-load snapshot-delete query-jobs job-dismiss job-id tag vmstate devices \
             "savevm " "loadvm " "delvm " snapshots; do
        printf '"%s"\n' "$w" | sed 's/\\/\\\\/g'
    done
} >"$dict"
