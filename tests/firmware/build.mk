# Firmware boot (issue 15): SeaBIOS from Debian's seabios package, run with no kernel.
INTEG_TESTS += tests/firmware/seabios.sh tests/firmware/vga.sh tests/firmware/keyboard.sh
INTEG_TESTS += tests/firmware/ide.sh tests/firmware/ovmf.sh tests/firmware/pxe.sh
INTEG_TESTS += tests/firmware/debian-disk.sh
# The Debian 12 disk image debian-disk.sh boots (debootstrap from Debian's archive; cached in
# $(BUILD)/debian-disk, never committed).
debian-disk: $(BUILD)/vmon
	BUILD=$(BUILD) VMON=$(BUILD)/vmon tests/firmware/make-debian-disk.sh || [ $$? -eq 77 ]
.PHONY: debian-disk
BENCHES += tests/firmware/bench-debian-disk.sh
