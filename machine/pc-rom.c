/*
 * Boot ROMs for the board's PCI functions in firmware boots, as QEMU's romfile= gives them: the
 * file is read whole, padded to a power of two and shown through the function's expansion ROM BAR
 * (hw/pci/pci.c, PCI Local Bus 3.0 6.2.5.2 and 6.3). SeaBIOS maps each ROM it finds there, checks
 * its 0x55aa header and PCI data structure and runs it; iPXE's ROM (Debian's ipxe-qemu, QEMU's
 * default efi-virtio.rom for virtio-net-pci) then offers a network boot (PXE through slirp's DHCP and
 * TFTP: -netdev user,tftp=DIR,bootfile=NAME and -boot n). Direct kernel boots get no ROMs.
 */
#include "machine/pc-rom.h"
#include "util/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PC_ROM_MAX (16u << 20)     /* a ROM BAR larger than this is no boot ROM */

static const char *const rom_dirs[] = { "/usr/share/qemu", "/usr/lib/ipxe/qemu" };

/* The path for name, or "" when it is a bare name none of the folders has. */
static void rom_path(const char *name, char *path, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(path, len, "%s", name);
        return;
    }
    for (size_t i = 0; i < sizeof(rom_dirs) / sizeof(rom_dirs[0]); i++) {
        snprintf(path, len, "%s/%s", rom_dirs[i], name);
        if (access(path, R_OK) == 0)
            return;
    }
    path[0] = 0;
}

static int read_rom(int fd, const char *path, struct pc_rom *rom, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > PC_ROM_MAX)
        return snprintf(err, errlen, "romfile %s: not a ROM image (a regular file of 1 byte to %u MiB)",
                        path, PC_ROM_MAX >> 20), -EINVAL;
    uint32_t size = 2048;
    while (size < (uint64_t)st.st_size)
        size <<= 1;
    uint8_t *image = malloc(size);
    if (!image)
        return snprintf(err, errlen, "romfile %s: %s", path, strerror(ENOMEM)), -ENOMEM;
    memset(image, 0xff, size);
    ssize_t n = pread(fd, image, (size_t)st.st_size, 0);
    if (n != st.st_size) {
        free(image);
        return snprintf(err, errlen, "romfile %s: short read", path), -EIO;
    }
    *rom = (struct pc_rom){ image, size };
    return 0;
}

int pc_rom_load(const char *name, int required, struct pc_rom *rom, char *err, size_t errlen)
{
    char path[512];
    *rom = (struct pc_rom){ 0 };
    rom_path(name, path, sizeof(path));
    if (!path[0] && !required)
        return 1;
    if (!path[0])
        return snprintf(err, errlen, "romfile %s: not found in /usr/share/qemu or /usr/lib/ipxe/qemu",
                        name), -ENOENT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return snprintf(err, errlen, "romfile %s: %s", path, strerror(e)), -e;
    }
    int r = read_rom(fd, path, rom, err, errlen);
    close(fd);
    return r;
}

void pc_rom_patch_ids(struct pc_rom *rom, uint16_t vendor, uint16_t device)
{
    uint8_t *r = rom->image;
    if (!r || rom->size < 0x1a || get_le16(r) != 0xaa55)
        return;
    uint32_t pcir = get_le16(r + 0x18);
    if (pcir + 8 > rom->size || memcmp(r + pcir, "PCIR", 4) || get_le16(r + pcir + 4) != vendor)
        return;
    uint16_t old = get_le16(r + pcir + 6);
    if (old == device)
        return;
    r[6] = (uint8_t)(r[6] + (uint8_t)old + (uint8_t)(old >> 8) - (uint8_t)device - (uint8_t)(device >> 8));
    r[pcir + 6] = (uint8_t)device;
    r[pcir + 7] = (uint8_t)(device >> 8);
}

void pc_rom_free(struct pc_rom *rom)
{
    free(rom->image);
    *rom = (struct pc_rom){ 0 };
}
