# Kernel loaders (bzImage, ELF/PVH, multiboot) and the firmware tables they write.
VMON_SRCS += boot/boot.c boot/lowmem.c boot/bzimage.c boot/elf.c boot/multiboot.c boot/entry.c \
             boot/e820.c boot/mptable.c boot/acpi.c boot/acpi-loader.c boot/aml.c boot/firmware.c \
             boot/smbios.c
UNIT_TESTS += boot/tables_test.c boot/loaders_test.c boot/acpi-loader_test.c boot/smbios_test.c
