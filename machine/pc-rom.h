/* Boot ROMs of PCI functions in firmware boots (machine/pc-rom.c). */
#ifndef VMON_MACHINE_PC_ROM_H
#define VMON_MACHINE_PC_ROM_H

#include <stddef.h>
#include <stdint.h>

struct pc_rom {
    uint8_t *image;            /* the file, padded with 0xff to size bytes; NULL: no ROM */
    uint32_t size;             /* a power of two, at least 2 KiB */
};

/* QEMU's default ROM for virtio-net-pci (Debian's ipxe-qemu). */
#define PC_ROM_VIRTIO_NET "efi-virtio.rom"

/* Loads the ROM name names: a path when it has a '/', else a file of QEMU's ROM folders
 * (/usr/share/qemu, /usr/lib/ipxe/qemu). 0 with rom->image set; 1 when a default (required false)
 * is not installed (no ROM); -errno with a one-line reason in err. */
int pc_rom_load(const char *name, int required, struct pc_rom *rom, char *err, size_t errlen);
/* As QEMU does for a ROM that serves several devices of one vendor (iPXE's virtio ROM names the
 * modern 1af4:1041, vmon's virtio-net is the transitional 1af4:1000): when the first image's PCI data
 * structure has the function's vendor but another device id, the id is set to the function's and
 * the header byte at offset 6 takes the difference, so the image's checksum still holds. SeaBIOS
 * runs only an image whose ids match the function's. Bounds-checked: a ROM without the structure
 * is left as it is. */
void pc_rom_patch_ids(struct pc_rom *rom, uint16_t vendor, uint16_t device);
void pc_rom_free(struct pc_rom *rom);

#endif
