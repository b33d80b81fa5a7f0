# Firmware boot (issue 15): SeaBIOS from Debian's seabios package, run with no kernel.
INTEG_TESTS += tests/firmware/seabios.sh tests/firmware/vga.sh tests/firmware/keyboard.sh
INTEG_TESTS += tests/firmware/ide.sh tests/firmware/ovmf.sh tests/firmware/pxe.sh tests/firmware/pam.sh
QUICK_TESTS += tests/firmware/pam.sh
INTEG_TESTS += tests/firmware/debian-disk.sh tests/firmware/debian-disk-efi.sh
# The Debian 12 disk images debian-disk.sh (BIOS) and debian-disk-efi.sh (UEFI: GPT, ESP, GRUB)
# boot, both from one root file system (debian-root.sh: debootstrap from Debian's archive); cached in
# $(BUILD)/debian-root, $(BUILD)/debian-disk and $(BUILD)/debian-disk-efi, never committed.
debian-disk: $(BUILD)/vmon
	BUILD=$(BUILD) VMON=$(BUILD)/vmon tests/firmware/make-debian-disk.sh || [ $$? -eq 77 ]
debian-disk-efi: $(BUILD)/vmon
	BUILD=$(BUILD) VMON=$(BUILD)/vmon tests/firmware/make-debian-disk-efi.sh || [ $$? -eq 77 ]
.PHONY: debian-disk debian-disk-efi
BENCHES += tests/firmware/bench-debian-disk.sh
