/* boot_load: read the kernel, tell its format apart, and hand it to its loader; the helpers every
 * loader shares (initrd placement, cmdline, firmware tables) live here too. */
#include "boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/loader.h"
#include "machine/vm.h"

static int vfail(char *err, size_t errlen, const char *file, const char *fmt, va_list ap)
{
    int n = snprintf(err, errlen, "%s: ", file);
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    return -1;
}

int boot_fail(struct boot_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx->err, ctx->errlen, ctx->path, fmt, ap);
    va_end(ap);
    return -1;
}

static int file_fail(struct boot_ctx *ctx, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int file_fail(struct boot_ctx *ctx, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx->err, ctx->errlen, file, fmt, ap);
    va_end(ap);
    return -1;
}

int boot_copy(struct boot_ctx *ctx, uint64_t gpa, const void *src, uint64_t len, const char *what)
{
    if (guest_mem_write(&ctx->vm->mem, gpa, src, len) < 0)
        return boot_fail(ctx, "%s at 0x%llx (%llu bytes) does not fit in RAM (%llu MiB)", what,
                         (unsigned long long)gpa, (unsigned long long)len,
                         (unsigned long long)(ctx->vm->mem.ram_size >> 20));
    return 0;
}

/* Open a file the user named, as a regular file; its size goes to *size. -1 with err set.
 * O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it (it changes
 * nothing for the regular files read afterwards). */
static int open_input(struct boot_ctx *ctx, const char *file, uint64_t *size)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return file_fail(ctx, file, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return file_fail(ctx, file, "not a regular file");
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static int read_all(int fd, void *buf, uint64_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len > (1u << 30) ? (1u << 30) : len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;   /* a file that shrank under us */
        p += n;
        len -= (uint64_t)n;
    }
    return 0;
}

int boot_load_initrd(struct boot_ctx *ctx, uint64_t kernel_end, uint64_t max_end,
                     uint64_t *addr, uint64_t *size)
{
    *addr = *size = 0;
    const char *file = ctx->vm->cfg.initrd;
    if (!file)
        return 0;
    uint64_t len;
    int fd = open_input(ctx, file, &len);
    if (fd < 0)
        return -1;
    uint64_t ram = ctx->vm->mem.ram_size;
    if (len > ram) {
        close(fd);
        return file_fail(ctx, file, "initrd (%llu bytes) is larger than RAM (%llu bytes)",
                         (unsigned long long)len, (unsigned long long)ram);
    }
    /* boot.rst: "as high as possible" below initrd_addr_max, so the kernel's own decompression and
     * early allocations below it stay clear; and never above the end of low RAM. */
    uint64_t top = guest_mem_low_end(&ctx->vm->mem);
    if (max_end && max_end < top)
        top = max_end;
    uint64_t start = kernel_end > (UINT64_MAX - 0xfff) ? UINT64_MAX : (kernel_end + 0xfff) & ~0xfffull;
    if (len > top || ((top - len) & ~0xfffull) < start) {
        close(fd);
        return file_fail(ctx, file, "initrd (%llu bytes) does not fit in RAM below 0x%llx after the kernel",
                         (unsigned long long)len, (unsigned long long)top);
    }
    uint64_t at = (top - len) & ~0xfffull;
    void *hva = guest_mem_hva(&ctx->vm->mem, at, len ? len : 1);
    int r = hva ? read_all(fd, hva, len) : -EFAULT;
    close(fd);
    if (r < 0)
        return file_fail(ctx, file, "%s", strerror(-r));
    *addr = at;
    *size = len;
    return 0;
}

int boot_write_cmdline(struct boot_ctx *ctx, uint64_t gpa, uint64_t max)
{
    const char *cmd = ctx->vm->cfg.cmdline ? ctx->vm->cfg.cmdline : "";
    size_t n = strlen(cmd) + 1;
    if (max > BOOT_CMDLINE_MAX)
        max = BOOT_CMDLINE_MAX;
    if (n > max)
        return boot_fail(ctx, "command line is %zu bytes, the kernel accepts at most %llu", n - 1,
                         (unsigned long long)(max - 1));
    return boot_copy(ctx, gpa, cmd, n, "command line");
}

int boot_write_tables(struct boot_ctx *ctx)
{
    struct guest_mem *m = &ctx->vm->mem;
    uint8_t *acpi = guest_mem_hva(m, BOOT_ACPI_ADDR, BOOT_ACPI_MAX);
    uint8_t *mp = guest_mem_hva(m, BOOT_MPTABLE_ADDR, BOOT_HIGH_ADDR - BOOT_MPTABLE_ADDR);
    if (!acpi || !mp)
        return boot_fail(ctx, "RAM (%llu bytes) too small for the firmware tables below 1 MiB",
                         (unsigned long long)m->ram_size);
    uint8_t ids[VM_MAX_CPUS];
    for (int i = 0; i < ctx->vm->ncpus; i++)
        ids[i] = (uint8_t)ctx->vm->vcpus[i].apic_id;
    int n = mptable_build(mp, BOOT_HIGH_ADDR - BOOT_MPTABLE_ADDR, BOOT_MPTABLE_ADDR, ids, ctx->vm->ncpus);
    if (n < 0)
        return boot_fail(ctx, "MP table: %s", strerror(-n));
    int nmmio = 0;
    for (int i = 0; i < ctx->vm->cfg.ndrives; i++)
        nmmio += ctx->vm->cfg.drives[i].mmio;
    n = acpi_build(acpi, BOOT_ACPI_MAX, BOOT_ACPI_ADDR, ids, ctx->vm->ncpus, nmmio);
    if (n < 0)
        return boot_fail(ctx, "ACPI tables: %s", strerror(-n));
    ctx->rsdp_addr = BOOT_ACPI_ADDR;   /* acpi_build puts the RSDP first */
    return 0;
}

int boot_load(struct vm *vm, char *err, size_t errlen)
{
    struct boot_ctx ctx = { .vm = vm, .path = vm->cfg.kernel, .err = err, .errlen = errlen };
    if (!ctx.path) {
        snprintf(err, errlen, "no kernel given (--kernel FILE)");
        return -1;
    }
    uint64_t len;
    int fd = open_input(&ctx, ctx.path, &len);
    if (fd < 0)
        return -1;
    if (len > vm->mem.ram_size) {
        close(fd);
        return boot_fail(&ctx, "kernel (%llu bytes) does not fit in RAM (%llu bytes)",
                         (unsigned long long)len, (unsigned long long)vm->mem.ram_size);
    }
    uint8_t *img = malloc(len ? len : 1);
    if (!img) {
        close(fd);
        return boot_fail(&ctx, "%s", strerror(ENOMEM));
    }
    int r = read_all(fd, img, len);
    close(fd);
    if (r < 0) {
        free(img);
        return boot_fail(&ctx, "%s", strerror(-r));
    }
    ctx.img = img;
    ctx.len = len;

    memset(&vm->boot_state, 0, sizeof(vm->boot_state));
    r = boot_write_tables(&ctx);
    /* The probe order is QEMU's -kernel order: the Linux boot protocol header first (a bzImage is
     * also a valid-looking flat file), then a multiboot header (which may sit in an ELF), then ELF. */
    if (r == 0) {
        if (bzimage_probe(img, len))
            r = bzimage_load(&ctx);
        else if (multiboot_find_header(img, len) >= 0)
            r = multiboot_load(&ctx);
        else if (elf_probe(img, len))
            r = elf_load(&ctx);
        else
            r = boot_fail(&ctx, "not a bzImage, ELF or multiboot kernel");
    }
    free(img);
    return r < 0 ? -1 : 0;
}
