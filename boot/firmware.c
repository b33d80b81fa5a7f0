/* Firmware boot (no --kernel): the BIOS image as ROM at the top of the 32-bit space, as the i440FX
 * decodes it (82441FX datasheet, 3.2 "System BIOS"), its last 128 KiB also at 0xe0000-0xfffff, and
 * vCPU 0 at the reset vector (SDM vol. 3, 10.1.4: the first instruction is fetched at 0xfffffff0).
 * The low copy is what the PAM registers' PCI side shows (mm/pam.h, 82441FX 3.2.18): at reset every
 * segment of 0xc0000-0xfffff reads that ROM side and drops writes, until the firmware shadows
 * itself (PAM write-enable, copy, PAM read-only). RAM there starts with the same bytes. A VM
 * restored from a state file loads no ROM and decodes no PAM: it runs the shadow its RAM saved. The
 * e820 map, ACPI and the rest the firmware learns through fw_cfg. */
#include "boot/boot.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/loader.h"
#include "machine/vm.h"
#include "mm/pam.h"

#define BIOS_MIN       0x10000u          /* 64 KiB: sizes are whole 64 KiB blocks, as in QEMU */
#define BIOS_MAX       0x1000000u        /* 16 MiB, below the IOAPIC/LAPIC/HPET windows */
#define ISA_BIOS_SIZE  0x20000u          /* 0xe0000-0xfffff */

/* Does the image end in a reset vector: a jump among its last 16 bytes (SeaBIOS's is a far jump
 * right there; OVMF's first tests CR0.PE and then jumps), and not all of them text? */
static int has_reset_vector(const uint8_t *img, size_t len)
{
    const uint8_t *v = img + len - 16;
    bool jump = false, text = true;
    for (int i = 0; i < 16; i++) {
        jump |= i < 14 && (v[i] == 0xea || v[i] == 0xe9 || v[i] == 0xeb);   /* jmp far, near, short */
        text &= (v[i] >= 0x20 && v[i] < 0x7f) || v[i] == '\n' || v[i] == '\r' || v[i] == '\t';
    }
    return jump && !text;
}

static int read_image(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0) {
        snprintf(err, errlen, "-bios %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < BIOS_MIN ||
        st.st_size > BIOS_MAX || st.st_size % BIOS_MIN) {
        snprintf(err, errlen, "-bios %s: not a firmware image (a regular file of 64 KiB blocks, "
                 "at most 16 MiB)", path);
        close(fd);
        return -1;
    }
    uint8_t *img = malloc((size_t)st.st_size);
    size_t got = 0;
    while (img && got < (size_t)st.st_size) {
        ssize_t n = read(fd, img + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!img || got != (size_t)st.st_size) {
        snprintf(err, errlen, "-bios %s: %s", path, img ? "short read" : strerror(ENOMEM));
        free(img);
        return -1;
    }
    *out = img;
    *len = got;
    return 0;
}

/* A machine reset (machine/reset.c): vCPU 0 at the reset vector again. With the PAM decoded the
 * board has put its registers back to 0, so the firmware runs from its ROM and shadows itself anew,
 * whatever RAM holds (as on QEMU); otherwise the BIOS's copy below 1 MiB is written again. */
int firmware_reset(struct vm *vm, char *err, size_t errlen)
{
    if (vm->mem.pam.on)
        return boot_entry_reset(&vm->boot_state);
    const struct mem_slot *rom = &vm->mem.rom;
    uint64_t low = rom->size < ISA_BIOS_SIZE ? rom->size : ISA_BIOS_SIZE;
    const uint8_t *src = guest_mem_rom_hva(&vm->mem, rom->gpa + rom->size - low, low);
    if (!rom->size || !src || guest_mem_write(&vm->mem, 0x100000 - low, src, low) < 0) {
        snprintf(err, errlen, "firmware reset: no ROM to copy from");
        return -1;
    }
    return boot_entry_reset(&vm->boot_state);
}

static const struct io_ops pam_ops = { .read = pam_bus_read, .write = pam_bus_write };

/* Decode 0xc0000-0xfffff through the PAM, its ROM side the image's last len bytes (tail). Less than
 * 1 MiB of RAM has no shadow to decode: the window stays RAM. 0 or -errno. */
static int pam_enable(struct vm *vm, const uint8_t *tail, size_t len)
{
    uint8_t *ram = guest_mem_hva_peek(&vm->mem, PAM_BASE, PAM_SIZE);
    if (!ram)
        return 0;
    int e = pam_init(&vm->mem.pam, ram, tail, len);
    if (e == 0)
        e = bus_map(&vm->mmio, PAM_BASE, PAM_SIZE, &pam_ops, &vm->mem, "pam");
    if (e == 0 && vm->accel->mem_remap)
        e = vm->accel->mem_remap(vm, PAM_BASE, PAM_SIZE);
    if (e < 0)
        pam_free(&vm->mem.pam);
    return e;
}

int firmware_load(struct vm *vm, char *err, size_t errlen)
{
    const char *path = vm->cfg.bios ? vm->cfg.bios : BOOT_DEFAULT_BIOS;
    uint8_t *img;
    size_t len;
    if (read_image(path, &img, &len, err, errlen) < 0)
        return -1;
    int r = -1;
    if (!has_reset_vector(img, len)) {
        snprintf(err, errlen, "-bios %s: not a firmware image (no reset vector in its last 16 bytes)",
                 path);
        goto out;
    }
    size_t low = len < ISA_BIOS_SIZE ? len : ISA_BIOS_SIZE;
    int e = guest_mem_add_rom(&vm->mem, 0x100000000ull - len, img, len);
    if (e == 0)
        e = vm->accel->map_slot(vm, &vm->mem.rom);
    if (e == 0 && guest_mem_write(&vm->mem, 0x100000 - low, img + len - low, low) < 0)
        e = -ENOMEM;
    if (e == 0 && !vm->mem.pam.on)
        e = pam_enable(vm, img + len - low, low);
    if (e < 0) {
        snprintf(err, errlen, "-bios %s: mapping the ROM: %s", path, strerror(-e));
        goto out;
    }
    r = boot_entry_reset(&vm->boot_state);
out:
    free(img);
    return r;
}
