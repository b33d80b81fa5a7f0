#!/usr/bin/env bash
# The layering check (issue 10): which folder may #include which, over the quoted #includes of every
# .c and .h under ROOT (default: the repository; tests/layering/fixtures is skipped). One line per
# violation, "layering: RULE: FILE includes HEADER"; exit 1 when any is not on the allow-list
# (tests/layering/allow.txt: "RULE FILE HEADER  # why, and which issue removes it"), 0 otherwise.
# The rules, as the README's architecture section states them:
#   hw-links       hw/ includes no accel/, machine/ or monitor/: devices reach the machine through links
#                  (hw/link.h, hw/serial.h's serial_link), mm/ (bus, guest memory) and util/
#   machine-caps   machine/ includes no accel/accel.h, accel/kvm/ or accel/soft/: it is handed an
#                  accelerator and knows it by machine/accel.h's capability fields only
#   block-leaf     block/ includes no hw/, mm/ or machine/
#   accel-apart    accel/kvm/ and accel/soft/ include nothing of each other
#   soft-no-hw     accel/soft/ includes no hw/ (its LAPIC and TSC come through struct vcpu)
#   kvm-private    nothing outside accel/kvm/ includes an accel/kvm/ header
#   img-public     tools/img/ (and any tools/img*.c) includes from block/ only block/block.h, the blk_driver
#                  interface, never a format's private header
#   base-leaf      util/ and mm/ include only util/ and mm/
#   monitor-ops    monitor/ includes no accel/ and no hw/: it operates the machine through machine/vm.h
#                  (run state, registers, memory, the board's vm_board_ops), never a device or an
#                  accelerator directly
#   net-iface      hw/ includes from net/ only net/net.h: a NIC reaches its backend (slirp, tap)
#                  through struct net_backend, never libslirp or a backend's own header
#   net-leaf       net/ includes only net/ and util/: backends know no device, board or accelerator
#   gdbstub-ops    gdbstub/ includes no accel/ and no hw/: like monitor/, it operates the machine through
#                  machine/vm.h (vm_set_debug, vm_get_fpu, vm_read_phys...), never an accelerator directly
#   migration-leaf migration/ (the VM state file's format, issue 18) includes only migration/ and util/, so
#                  devices, the machine and the accelerators may all use it; its libFuzzer driver
#                  (migration/fuzz-*.c) reaches the device models it feeds
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$(cd "$here/../.." && pwd)}
allow=${LAYERING_ALLOW:-$here/allow.txt}

# rule FILE HEADER: print the rule FILE's include of HEADER breaks, if any.
rule() {
    local f=$1 h=$2
    case $f in
    hw/*)       case $h in accel/*|machine/*|monitor/*) echo hw-links;; net/net.h) ;; net/*) echo net-iface;; esac;;
    net/*)      case $h in net/*|util/*) ;; */*) echo net-leaf;; esac;;
    monitor/*)  case $h in accel/*|hw/*) echo monitor-ops;; esac;;
    gdbstub/*)  case $h in accel/*|hw/*) echo gdbstub-ops;; esac;;
    machine/*)  case $h in accel/accel.h|accel/kvm/*|accel/soft/*) echo machine-caps;; esac;;
    block/*)    case $h in hw/*|mm/*|machine/*) echo block-leaf;; esac;;
    util/*|mm/*) case $h in util/*|mm/*) ;; */*) echo base-leaf;; esac;;
    migration/fuzz-*) ;;
    migration/*) case $h in migration/*|util/*) ;; */*) echo migration-leaf;; esac;;
    esac
    case $f in
    accel/kvm/*)  case $h in accel/soft/*) echo accel-apart;; esac;;
    accel/soft/*) case $h in accel/kvm/*) echo accel-apart;; hw/*) echo soft-no-hw;; esac;;
    esac
    case $f in accel/kvm/*) ;; *) case $h in accel/kvm/*) echo kvm-private;; esac;; esac
    case $f in
    tools/img*|tools/img/*) case $h in block/block.h) ;; block/*) echo img-public;; esac;;
    esac
}

allowed() {    # RULE FILE HEADER
    [ -f "$allow" ] && grep -v '^#' "$allow" | awk -v r="$1" -v f="$2" -v h="$3" \
        '$1 == r && $2 == f && $3 == h { found = 1 } END { exit !found }'
}

bad=0; n=0
cd "$root" || exit 2
while IFS= read -r f; do
    n=$((n + 1))
    while IFS= read -r h; do
        for r in $(rule "$f" "$h"); do
            if allowed "$r" "$f" "$h"; then
                echo "layering: $r: $f includes $h (allowed for now: $(grep -v '^#' "$allow" |
                      awk -v r="$r" -v f="$f" -v h="$h" '$1 == r && $2 == f && $3 == h' | sed 's/^[^#]*# *//'))"
            else
                echo "layering: $r: $f includes $h"
                bad=$((bad + 1))
            fi
        done
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find . -path ./tests/layering/fixtures -prune -o -path ./build -prune -o -path ./.git -prune \
              -o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
echo "layering: $n files, $bad violations"
[ "$bad" -eq 0 ]
