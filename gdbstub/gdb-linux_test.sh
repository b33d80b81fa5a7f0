#!/usr/bin/env bash
# gdb against Debian's cloud kernel under the soft CPU (tests/linux/lib.sh's guest material): break
# in start_kernel during boot and print a backtrace. Debian's vmlinux carries no symbols (its
# System.map is a placeholder pointing at the -dbg package), so a first boot (nokaslr) reads the
# addresses of the boot path's functions from /proc/kallsyms and objcopy adds them to a copy of
# vmlinux; the second boot starts paused (-S) with -gdb, gdb sets a hardware breakpoint there (the
# decompressor has not yet written the kernel where an int3 would go), continues, and the backtrace
# must walk from start_kernel to secondary_startup_64_no_verify (x86_64_start_kernel and
# x86_64_start_reservations reach start_kernel by tail calls: no frames of their own). Then gdb
# detaches and the guest boots on to its poweroff. Exit 0 pass, 77 skip, 1 fail.
set -u
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}   # two boots, the first reading /proc/kallsyms: room on a loaded host
. "$(dirname "$0")/../tests/linux/lib.sh"
command -v gdb >/dev/null || { echo "skip: no gdb (apt-get install gdb)"; exit 77; }
command -v objcopy >/dev/null || { echo "skip: no objcopy (binutils)"; exit 77; }
need_guest
VMLINUX=build/guest/vmlinux
[ -f "$VMLINUX" ] || { echo "skip: $VMLINUX missing (scripts/fetch-guest.sh extracts it)"; exit 77; }
funcs='start_kernel|x86_64_start_reservations|x86_64_start_kernel|secondary_startup_64_no_verify'
append="console=ttyS0 quiet nokaslr"

# Boot 1: the symbols' addresses (nokaslr: the same in every boot of this kernel): the boot path's
# functions and every symbol of the kernel's first page (head_64.S), so that a return address there
# is named by its own function.
log=$TMPD/kallsyms
boot "$log" --kernel "$KERNEL" --initrd "$INITRD" \
    --append "$append vmon.cmd64=$(cmd64 "grep -E ' ($funcs)\$|^ffffffff81000[0-9a-f]{3} [Tt] ' /proc/kallsyms | sed 's/^/SYM /'")"
expect_booted "$log"
syms=$(tr -d '\r' <"$log" | awk '$1 == "SYM" && $3 ~ /^[Tt]$/ { print $2, $4 }')
[ "$(echo "$syms" | grep -c .)" -ge 3 ] || { cat "$log"; fail "kallsyms gave no addresses for $funcs"; }
echo "$syms" | grep -q ' start_kernel$' || fail "no start_kernel in /proc/kallsyms"

# The symbols as section-relative entries of a copy of vmlinux.
args=()
while read -r addr name; do
    sec=$(readelf -SW "$VMLINUX" | sed -n 's/^ *\[ *[0-9]*\] *\(\.[^ ]*\) *PROGBITS *\([0-9a-f]*\) *[0-9a-f]* *\([0-9a-f]*\).*/\1 \2 \3/p' |
          while read -r sname base size; do
              off=$(( 16#$addr - 16#$base ))
              if [ "$off" -ge 0 ] && [ "$off" -lt $(( 16#$size )) ]; then echo "$sname $off"; break; fi
          done)
    [ -n "$sec" ] || fail "$name at $addr lies in no section of $VMLINUX"
    args+=(--add-symbol "$name=${sec% *}:$(printf '0x%x' "${sec#* }"),global,function")
done <<<"$syms"
objcopy "${args[@]}" "$VMLINUX" "$TMPD/vmlinux.sym" || fail "objcopy --add-symbol"

# Boot 2: paused, gdb breaks in start_kernel and walks the stack.
sock=$TMPD/gdb.sock
log=$TMPD/serial
timeout -k 10 "$BOOT_TIMEOUT" "$VMON" run --accel soft --kernel "$KERNEL" --initrd "$INITRD" \
    --append "$append vmon.cmd64=$(cmd64 'echo booted-after-gdb')" -S -gdb "unix:$sock" \
    </dev/null >"$log" 2>"$log.err" &
VMON_PID=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$log.err"; fail "no gdb socket"; }
cat >"$TMPD/script" <<GDB
set pagination off
set confirm off
set remotetimeout 60
target remote $sock
hbreak start_kernel
continue
bt 4
info registers rip cr3
detach
GDB
timeout 800 gdb -batch -nx -x "$TMPD/script" "$TMPD/vmlinux.sym" >"$TMPD/gdb.out" 2>&1
grc=$?
wait "$VMON_PID"
RC=$?
VMON_PID=
show() { echo "--- gdb:"; cat "$TMPD/gdb.out"; echo "--- vmon:"; cat "$log.err"; tail -n 20 "$log"; }
grep -qE '^(Hardware assisted )?[Bb]reakpoint 1, 0x[0-9a-f]+ in start_kernel \(\)' "$TMPD/gdb.out" ||
    { show; fail "gdb did not stop in start_kernel"; }
ok "gdb stopped in start_kernel during boot"
grep -qE '^#0 +0x[0-9a-f]+ in start_kernel \(\)' "$TMPD/gdb.out" &&
grep -qE '^#1 +0x[0-9a-f]+ in secondary_startup_64_no_verify \(\)' "$TMPD/gdb.out" ||
    { show; fail "the backtrace is not start_kernel <- secondary_startup_64_no_verify"; }
ok "backtrace: start_kernel <- secondary_startup_64_no_verify"
[ "$grc" -eq 0 ] || { show; fail "gdb exited $grc"; }
expect_booted "$log"
expect_line "$log" '^booted-after-gdb' "the kernel booted on after gdb detached"
