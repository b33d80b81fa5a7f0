# Sourced by scripts/fetch-guest.sh and tests/firmware/mkiso.sh: kernel modules for a busybox
# initramfs, whose /init loads the files listed in /lib/modules/order in that order. A Debian kernel
# package has no modules.dep (depmod makes it at install), so the order comes from each module's
# .modinfo section (the depends= line modinfo prints): dependencies first, each module once.

# add_modules MDIR DEST ORDER NAME...: each NAME found under MDIR (as NAME.ko, or with dashes for
# underscores) after its dependencies, copied into DEST and appended to the list in ORDER. A name
# with no module (built into the kernel) is skipped.
add_modules() {
    local mdir=$1 dest=$2 order=$3 name file dep
    shift 3
    for name; do
        grep -qx "$name.ko" "$order" && continue
        file=$(find "$mdir" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n1)
        [ -n "$file" ] || continue
        for dep in $(objcopy -O binary --only-section=.modinfo "$file" /dev/stdout | tr '\0' '\n' |
                     sed -n 's/^depends=//p' | tr ',' ' '); do
            add_modules "$mdir" "$dest" "$order" "$dep"
        done
        cp "$file" "$dest/$name.ko"
        echo "$name.ko" >> "$order"
    done
}
