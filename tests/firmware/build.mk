# Firmware boot (issue 15): SeaBIOS from Debian's seabios package, run with no kernel.
INTEG_TESTS += tests/firmware/seabios.sh tests/firmware/vga.sh tests/firmware/keyboard.sh
INTEG_TESTS += tests/firmware/ide.sh tests/firmware/ovmf.sh
