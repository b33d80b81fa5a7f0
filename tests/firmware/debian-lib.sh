# Shared by debian-disk.sh (BIOS) and debian-disk-efi.sh (UEFI), the boots of the Debian 12 disks:
# source it after setting BUILD, VMON and here. debian_setup builds the image when it is missing
# (exit 77 when it cannot be), makes $tmp (removed at exit) with a copy at $tmp/disk.qcow2, sets fail=0
# and line (the text the guest writes); debian_login boots a command to login: and poweroff
# (serial-login.py: log in $tmp/serial.log, status in rc); debian_file_check reads the file the guest
# wrote back from the ext4 root, partition 2 of the image; check reports one condition.
LOGIN_TIMEOUT=${LOGIN_TIMEOUT:-900}

debian_setup() {   # image, the script that makes it
    if [ ! -f "$1" ]; then
        BUILD=$BUILD VMON=$VMON "$2"
        local rc=$?
        [ $rc -eq 0 ] || exit $rc
    fi
    command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
    command -v debugfs >/dev/null && command -v sfdisk >/dev/null ||
        { echo "skip: debugfs or sfdisk missing (apt-get install e2fsprogs fdisk)"; exit 77; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    fail=0
    cp "$1" "$tmp/disk.qcow2" || { echo "FAIL: copying $1"; exit 1; }
    line="vmon-file-$$-$RANDOM"
}

check() {   # description, condition (a command)
    if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; tail -30 "$tmp/serial.log" | sed 's/^/    /'; echo; fail=1; fi
}

debian_login() {   # the line to write, the VM's command...
    local l=$1
    shift
    python3 "$here/serial-login.py" "$tmp/serial.log" "$LOGIN_TIMEOUT" vmon "$l" -- "$@" | tee "$tmp/steps"
    rc=${PIPESTATUS[0]}
}

# The file the guest wrote, read from the ext4 root (partition 2, MBR or GPT) of a raw copy.
debian_file_check() {
    local start
    "$VMON" img convert -O raw "$tmp/disk.qcow2" "$tmp/disk.raw" &&
        start=$(sfdisk -d "$tmp/disk.raw" | awk -F'[=,]' '/start=/ { if (++n == 2) print $2 + 0 }') &&
        debugfs -R "cat /root/vmon-test.txt" "$tmp/disk.raw?offset=$((start * 512))" >"$tmp/file" 2>/dev/null
    check "the file the guest wrote is in the image" grep -qx "$line" "$tmp/file"
    rm -f "$tmp/disk.raw"
}
