#!/usr/bin/env bash
# Fetch the guest material vmon's Linux tests boot, from Debian 12's archive (nothing is committed):
#   build/guest/bzImage             the kernel of linux-image-cloud-amd64 (the 6.1 series)
#   build/guest/vmlinux             the ELF inside it, extracted from the bzImage's compressed payload
#   build/guest/initramfs.cpio.gz   busybox-static with an /init that prints VMON-GUEST-READY, runs
#                                   the command from the kernel cmdline and powers off
# FLAVOUR picks another of Debian 12's x86-64 kernels, into build/guest/FLAVOUR/ (the same three
# files; the initramfs carries that kernel's modules):
#   cloud (default, into build/guest/)  linux-image-cloud-amd64, 6.1
#   generic                             linux-image-amd64, 6.1
#   rt                                  linux-image-rt-amd64, 6.1 with PREEMPT_RT
#   6.12                                linux-image-6.12-amd64, the newer kernel Debian 12 also ships
#   all                                 cloud and generic (what `make test` boots)
#   every                               all four Idempotent: what is already there is kept (FORCE=1 rebuilds). Needs
# apt-get (Debian 12) and root for mknod of /dev/console in the initramfs.
#
# The command on the kernel cmdline (read by /init from /proc/cmdline):
#   vmon.cmd="uname -a; cat /proc/cpuinfo"   double-quoted, as Linux's own parser quotes values;
#                                            the command itself cannot contain a double quote
#   vmon.cmd=uname                           a single word needs no quotes
#   vmon.cmd64=BASE64                        anything at all, base64-encoded (base64 -w0)
# After the command, /init prints "VMON-CMD-EXIT=<status>" and runs `poweroff -f`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/kmod-order.sh
FLAVOUR=${FLAVOUR:-cloud}
case $FLAVOUR in
    all)     FLAVOUR=cloud "$0" && FLAVOUR=generic exec "$0";;
    every)   FLAVOUR=all "$0" && FLAVOUR=rt "$0" && FLAVOUR=6.12 exec "$0";;
    cloud)   OUT=build/guest;         META=linux-image-cloud-amd64;;
    generic) OUT=build/guest/generic; META=linux-image-amd64;;
    rt)      OUT=build/guest/rt;      META=linux-image-rt-amd64;;
    6.12)    OUT=build/guest/6.12;    META=linux-image-6.12-amd64;;
    *)       echo "fetch-guest: FLAVOUR must be cloud, generic, rt, 6.12, all or every, not '$FLAVOUR'" >&2; exit 2;;
esac
DEBS=build/guest/debs
mkdir -p "$DEBS" "$OUT"
FORCE=${FORCE:-0}

say() { echo "fetch-guest: $*"; }
die() { echo "fetch-guest: $*" >&2; exit 1; }

# apt-get download, with one `apt-get update` retry for a stale package list.
download() {
    local pkg=$1
    if ls "$DEBS/${pkg}_"*.deb >/dev/null 2>&1 && [ "$FORCE" != 1 ]; then
        return 0
    fi
    say "downloading $pkg"
    if ! (cd "$DEBS" && apt-get download -q "$pkg" 2>&1 >/dev/null | grep -v 'unsandboxed as root' >&2; exit "${PIPESTATUS[0]}"); then
        apt-get update -qq || die "apt-get update failed"
        (cd "$DEBS" && apt-get download -q "$pkg" 2>&1 >/dev/null | grep -v 'unsandboxed as root' >&2; exit "${PIPESTATUS[0]}") || die "apt-get download $pkg failed"
    fi
}

# The metapackage depends on the versioned kernel package: fetch that one.
kpkg=$(apt-cache depends "$META" 2>/dev/null |
       awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kpkg" ]; then
    apt-get update -qq || die "apt-get update failed"
    kpkg=$(apt-cache depends "$META" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$kpkg" ] || die "cannot resolve $META to a kernel package"
download "$kpkg"
download busybox-static

kdeb=$(ls "$DEBS/${kpkg}_"*.deb | head -n1)
bdeb=$(ls "$DEBS/busybox-static_"*.deb | head -n1)
# Everything already built from these packages, by this version of the script: nothing to do.
if [ "$FORCE" != 1 ] && [ -f "$OUT/bzImage" ] && [ -f "$OUT/vmlinux" ] && [ -f "$OUT/initramfs.cpio.gz" ] &&
   [ "$OUT/initramfs.cpio.gz" -nt "$0" ] && [ "$OUT/initramfs.cpio.gz" -nt "$kdeb" ] &&
   [ "$OUT/vmlinux" -nt "$kdeb" ] && [ "$OUT/initramfs.cpio.gz" -nt "$bdeb" ] &&
   [ "$OUT/initramfs.cpio.gz" -nt tests/linux/vsock-tool.c ]; then
    say "up to date: $OUT/bzImage, vmlinux, initramfs.cpio.gz ($kpkg)"
    exit 0
fi

# Unpack into a scratch directory removed on exit: the Makefile scans build/ for *.d dependency
# files, and Debian packages hold directories named like that.
SCRATCH=$(mktemp -d "$OUT/unpack.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
KROOT=$SCRATCH/kernel
BROOT=$SCRATCH/busybox
dpkg-deb -x "$kdeb" "$KROOT"
dpkg-deb -x "$bdeb" "$BROOT"
kver=${kpkg#linux-image-}

# --- bzImage -----------------------------------------------------------------------------------
vmlinuz=$KROOT/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$kdeb holds no boot/vmlinuz-$kver"
cmp -s "$vmlinuz" "$OUT/bzImage" 2>/dev/null || cp -f "$vmlinuz" "$OUT/bzImage"
say "bzImage: $kver, $(stat -c %s "$OUT/bzImage") bytes"

# --- vmlinux: the payload the setup header points at (boot.rst: payload_offset is relative to the
# protected-mode code, which starts after (setup_sects + 1) * 512 bytes). ---------------------------
le() {   # le FILE OFFSET BYTES: a little-endian unsigned integer from the file
    od -An -t "u$3" -j "$2" -N "$3" --endian=little "$1" | tr -d ' '
}
if [ ! -f "$OUT/vmlinux" ] || [ "$OUT/bzImage" -nt "$OUT/vmlinux" ] || [ "$FORCE" = 1 ]; then
    [ "$(od -An -c -j $((0x202)) -N 4 "$OUT/bzImage" | tr -d ' ')" = HdrS ] || die "bzImage lacks HdrS"
    sects=$(le "$OUT/bzImage" $((0x1f1)) 1)
    [ "$sects" -eq 0 ] && sects=4
    poff=$(le "$OUT/bzImage" $((0x248)) 4)
    plen=$(le "$OUT/bzImage" $((0x24c)) 4)
    start=$(( (sects + 1) * 512 + poff ))
    payload=$OUT/payload.bin
    # Linux appends the uncompressed size (le32) to the compressed stream: drop it, keep it to check.
    dd if="$OUT/bzImage" of="$payload" bs=1M iflag=skip_bytes,count_bytes skip="$start" count="$plen" \
        status=none
    want=$(le "$payload" $((plen - 4)) 4)
    dd if="$payload" of="$payload.z" bs=1M iflag=count_bytes count=$((plen - 4)) status=none
    magic=$(od -An -t x1 -N 6 "$payload.z" | tr -d ' ')
    case $magic in
        1f8b*)         tool="gzip -dc";;
        fd377a585a00)  tool="xz -dc";;
        28b52ffd*)     tool="zstd -dcq";;
        02214c18*)     tool="lz4 -dc";;
        425a68*)       tool="bzip2 -dc";;
        5d0000*)       tool="xz -dc --format=lzma";;
        *)             die "unknown compression of the bzImage payload (magic $magic)";;
    esac
    say "payload: $plen bytes at $start, ${tool%% *}-compressed"
    $tool < "$payload.z" > "$OUT/vmlinux.tmp" || die "decompressing the payload with $tool failed"
    got=$(stat -c %s "$OUT/vmlinux.tmp")
    [ "$got" -eq "$want" ] || die "vmlinux is $got bytes, the payload trailer says $want"
    [ "$(od -An -c -N 4 "$OUT/vmlinux.tmp" | tr -d ' ')" = '177ELF' ] || die "payload is not an ELF"
    mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
    rm -f "$payload" "$payload.z"
fi
say "vmlinux: $(stat -c %s "$OUT/vmlinux") bytes"

# --- initramfs ---------------------------------------------------------------------------------
IROOT=$SCRATCH/initramfs
if [ ! -f "$OUT/initramfs.cpio.gz" ] || [ "$0" -nt "$OUT/initramfs.cpio.gz" ] ||
   [ tests/linux/vsock-tool.c -nt "$OUT/initramfs.cpio.gz" ] || [ "$FORCE" = 1 ]; then
    rm -rf "$IROOT"
    mkdir -p "$IROOT"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules}
    cp "$BROOT/bin/busybox" "$IROOT/bin/busybox"
    ln -s busybox "$IROOT/bin/sh"
    # virtio drivers the cloud kernel builds as modules (virtio core, both transports, the devices).
    # The package has no modules.dep (depmod makes it at install): order them by the "depends=" of
    # each module's .modinfo section (what modinfo prints), dependencies first, into /lib/modules/order, which /init loads. Harmless without the devices;
    # they bind once vmon has them.
    mdir=$KROOT/lib/modules/$kver/kernel
    : > "$IROOT/lib/modules/order"
    # ext4 for the disk tests (built in on the cloud kernel, modules on the generic one; crc32c
    # first: ext4 and jbd2 ask the crypto layer for it by name, which no module dependency says).
    # vmw_vsock_virtio_transport pulls in vsock and vmw_vsock_virtio_transport_common.
    add_modules "$mdir" "$IROOT/lib/modules" "$IROOT/lib/modules/order" \
        virtio_mmio virtio_pci virtio_blk virtio_net virtio_rng virtio_console \
        vmw_vsock_virtio_transport crc32c_generic ext4
    # The vsock tests' guest side (busybox has no AF_VSOCK client): a static program of our own.
    gcc -static -O2 -o "$IROOT/bin/vsock-tool" tests/linux/vsock-tool.c || die "gcc -static vsock-tool"
    mknod -m 600 "$IROOT/dev/console" c 5 1 || die "mknod /dev/console needs root"
    mknod -m 666 "$IROOT/dev/null" c 1 3
    cat > "$IROOT/init" <<'INIT'
#!/bin/sh
# vmon's test initramfs: mount the basics, announce, run vmon.cmd from the cmdline, power off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Module parameters from the kernel cmdline (MODULE.PARAM=VALUE, as modprobe would pass them).
for m in $(cat /lib/modules/order 2>/dev/null); do
    insmod /lib/modules/$m $(tr ' ' '\n' < /proc/cmdline | sed -n "s/^${m%.ko}\.//p") 2>/dev/null
done
echo VMON-GUEST-READY
cmdline=$(cat /proc/cmdline)
cmd=
case $cmdline in
    *vmon.cmd64=*) cmd=$(echo "$cmdline" | sed -n 's/.*vmon\.cmd64=\([^ ]*\).*/\1/p' | base64 -d);;
    *vmon.cmd=\"*) cmd=$(echo "$cmdline" | sed -n 's/.*vmon\.cmd="\([^"]*\)".*/\1/p');;
    *vmon.cmd=*)   cmd=$(echo "$cmdline" | sed -n 's/.*vmon\.cmd=\([^ ]*\).*/\1/p');;
esac
if [ -n "$cmd" ]; then
    sh -c "$cmd"
    echo "VMON-CMD-EXIT=$?"
else
    # No command: an interactive shell on the console; leaving it powers the guest off.
    echo "no vmon.cmd= on the kernel cmdline: busybox shell (exit to power off)"
    setsid cttyhack sh
    echo "VMON-CMD-EXIT=none"
fi
poweroff -f
echo o > /proc/sysrq-trigger
INIT
    chmod 755 "$IROOT/init"
    (cd "$IROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n > "$OUT/initramfs.cpio.gz.tmp"
    mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
fi
say "initramfs.cpio.gz: $(stat -c %s "$OUT/initramfs.cpio.gz") bytes"
