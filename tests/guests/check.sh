#!/usr/bin/env bash
# Runs one test guest under one accelerator and checks its serial output and vmon's exit status.
# Invoked through links named <test>-<accel> (made by tests/guests/build.mk in $BUILD/guest-tests/),
# e.g. ring3-kvm or entry-pvh-soft; `check.sh TEST ACCEL` works too. Exit 0 pass, 77 skip, 1 fail.
set -u
if [ $# -eq 2 ]; then
    test=$1 accel=$2
else
    name=$(basename "$0")
    test=${name%-*} accel=${name##*-}
fi
BUILD=${BUILD:-build}
VMON=${VMON:-$BUILD/vmon}
G=$BUILD/guests
HOST=$G/fnv-host

skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL ($test under $accel): $*"; exit 1; }

case $accel in
    kvm)  (exec 3<>/dev/kvm) 2>/dev/null || skip "/dev/kvm not available";;
    soft) ;;
    *)    fail "unknown accelerator $accel";;
esac
# The software CPU's interrupt controllers come with the soft PC platform (issue 4).
needs_soft_apic() {
    if [ "$accel" = soft ] && grep -q '^/\* Placeholder' machine/pc-soft.c 2>/dev/null; then
        skip "needs the soft APIC (issue 4)"
    fi
}

# Each test sets: kernel, append, status (expected exit status), want (regexes, one per line, each
# must match a line of the output); optional: cpus, initrd, mem, limit (one-line reason to skip when
# the output matches `limit_re`, for what a host's KVM cannot run).
cpus=1 initrd= mem=64M want= limit_re= limit=
case $test in
    entry-real)
        kernel=$G/real.bzImage append="hello real mode" status=33
        want='entry=real ds=0x9000 cmdline="hello real mode"
type_of_loader=0x00ff heap_end_ptr=0xde00
0x12345678<<4>>16=0x2345';;
    entry-bz64)
        append="vmon bzImage 64-bit entry rounds=1000"
        kernel=$G/bz64.bzImage status=0
        want="bzImage-64 e820 entries=4 type_of_loader=0xff rsdp=0x000e0000
entry=bzImage-64 cmdline=\"$append\"
$($HOST hash "$append" 1000)
poweroff via PM1a_CNT 0x0604 SLP_TYP 5";;
    entry-elf64)
        append="vmon elf64 entry rounds=1000"
        kernel=$G/elf64.elf status=0
        want="elf64 e820 entries=4 type_of_loader=0xff rsdp=0x000e0000
entry=elf64 cmdline=\"$append\"
$($HOST hash "$append" 1000)
poweroff via PM1a_CNT 0x0604 SLP_TYP 5";;
    entry-pvh)
        append="vmon pvh entry rounds=1000"
        kernel=$G/pvh.elf initrd=$G/real.bzImage status=0
        want="pvh memmap entries=4 modules=1 rsdp=0x000e0000
entry=pvh cmdline=\"$append\"
$($HOST hash "$append" 1000)
poweroff via PM1a_CNT 0x0604 SLP_TYP 5";;
    entry-mb-elf|entry-mb-aout)
        append="vmon multiboot entry rounds=1000"
        kernel=$G/mb.elf label=multiboot-elf
        [ "$test" = entry-mb-aout ] && kernel=$G/mbaout.bin label=multiboot-aout
        initrd=$G/real.bzImage status=0
        want="multiboot mem_upper=64512 mmap entries=4 mods=1
entry=$label cmdline=\"$append\"
$($HOST hash "$append" 1000)
poweroff via PM1a_CNT 0x0604 SLP_TYP 5";;
    entry-mb-low)
        # Linked at 0x8000, in conventional memory between vmon's information page and its
        # command line (boot/lowmem.c).
        append="vmon multiboot entry rounds=1000"
        kernel=$G/mblow.elf initrd=$G/real.bzImage status=0
        want="multiboot mem_upper=64512 mmap entries=4 mods=1
entry=multiboot-elf cmdline=\"$append\"
$($HOST hash "$append" 1000)
poweroff via PM1a_CNT 0x0604 SLP_TYP 5";;
    entry-mb-clash)
        # Linked at 0x6000, over the page vmon writes the multiboot information into: refused.
        kernel=$G/mbclash.elf append= status=2
        want="mbclash.elf: ELF segment 0x6000-0x[0-9a-f]+ overlaps vmon's boot information page at 0x6000-0x7000";;
    mmio)
        kernel=$G/bz64.bzImage append="test=mmio" status=0
        want='mmio read 0xffffffff then 0xffffffff
poweroff via PM1a_CNT';;
    hlt)
        needs_soft_apic
        kernel=$G/bz64.bzImage append="test=hlt" status=0
        want='hlt woke on 3 LAPIC timer interrupts after [0-9]+ hlt';;
    reset)
        kernel=$G/pvh.elf append="test=reset" status=0
        want='reset via i8042';;
    reset-port92)
        kernel=$G/pvh.elf append="test=reset-port92" status=0
        want='port 0x92 A20 on';;
    poweroff)
        kernel=$G/mb.elf append="test=poweroff" status=0
        want='poweroff via PM1a_CNT 0x0604 SLP_TYP 5';;
    exit)
        kernel=$G/bz64.bzImage append="test=exit code=42" status=85
        want='debug-exit 42';;
    cpus)
        kernel=$G/bz64.bzImage append="test=cpus" status=0 cpus=3
        want='MADT lists 3 cpus';;
    ring3|ring3-syscall|ring3-int)
        n=3000000 via=fault how='#GP'
        [ "$test" = ring3-syscall ] && via=syscall how=syscall
        [ "$test" = ring3-int ] && via=int how='int 0x80'
        kernel=$G/bz64.bzImage append="test=ring3 via=$via n=$n" status=0
        want="ring3 back by $how cpl=3 from cs=0x23 result=$($HOST lcg $n)"
        # This machine's KVM runs ring 3 natively but emulates ring 0, and its emulation does not
        # switch to ring 0 on syscall or int n from ring 3 (the guest reports a #GP or #UD at CPL 3).
        if [ "$accel" = kvm ] && [ "$via" != fault ]; then
            limit_re='exception (6|13) .* cs=0x23'
            limit="this host's KVM does not return from ring 3 by $how (guest saw a fault at CPL 3)"
        fi;;
    smp)
        needs_soft_apic
        kernel=$G/bz64.bzImage append="test=smp" status=0 cpus=4
        want='smp bsp apic id 0, MADT lists 4 cpus
smp cpu 1 up
smp cpu 2 up
smp cpu 3 up
smp 4 of 4 cpus up';;
    *)  fail "unknown test $test";;
esac

[ -f "$kernel" ] || fail "$kernel is missing (make guests)"
args=(run --accel "$accel" --mem "$mem" --cpus "$cpus" --kernel "$kernel" --append "$append")
[ -n "$initrd" ] && args+=(--initrd "$initrd")
out=$(timeout 120 "$VMON" "${args[@]}" </dev/null 2>&1)
rc=$?
echo "\$ $VMON ${args[*]}"
echo "$out" | tail -n 20
echo "(exit status $rc)"

if [ "$accel" = soft ] && [ $rc -eq 2 ] && grep -q 'accel soft' <<<"$out"; then
    skip "$(grep -m1 'accel soft' <<<"$out")"
fi
if [ -n "$limit_re" ] && grep -Eq "$limit_re" <<<"$out"; then
    skip "$limit"
fi
[ $rc -eq 124 ] && fail "timed out"
while IFS= read -r re; do
    [ -z "$re" ] && continue
    grep -Eq -- "$re" <<<"$out" || fail "no line matches: $re"
done <<<"$want"
grep -q 'did not end the VM\|unknown test\|exception [0-9]' <<<"$out" && fail "the guest reported a failure"
[ $rc -eq "$status" ] || fail "exit status $rc, want $status"
echo "ok"
