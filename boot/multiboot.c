/* Multiboot v1 kernels (Multiboot Specification 0.6.96): an ELF image, or with header flag 16 (the
 * "a.out kludge") a flat image whose load addresses the header itself gives. Entered in flat 32-bit
 * protected mode, paging off, eax = 0x2BADB002, ebx = the multiboot information structure. */
#include <string.h>

#include "machine/accel.h"
#include "boot/loader.h"
#include "boot/multiboot.h"
#include "machine/vm.h"

#define MB_SUPPORTED (MB_PAGE_ALIGN | MB_MEMORY_INFO)   /* requirement bits vmon meets */
#define MB_MAX_MMAP  16

long multiboot_find_header(const uint8_t *img, size_t len)
{
    size_t end = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
    for (size_t off = 0; off + 12 <= end; off += 4) {   /* 3.1.1: 32-bit aligned */
        uint32_t w[3];
        memcpy(w, img + off, sizeof(w));
        if (w[0] == MULTIBOOT_HEADER_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0)
            return (long)off;
    }
    return -1;
}

/* 3.1.3 address fields: the file from header_addr's offset back to load_addr is copied to load_addr,
 * up to load_end_addr (0: the end of the file), then zeroed up to bss_end_addr (0: no bss). */
static int load_aout_kludge(struct boot_ctx *ctx, const struct multiboot_header *h, long hoff,
                            uint64_t *end)
{
    if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > (uint64_t)hoff)
        return boot_fail(ctx, "multiboot header_addr 0x%x / load_addr 0x%x do not match its offset",
                         h->header_addr, h->load_addr);
    uint64_t file_off = (uint64_t)hoff - (h->header_addr - h->load_addr);
    uint64_t len = ctx->len - file_off;
    if (h->load_end_addr) {
        if (h->load_end_addr < h->load_addr || h->load_end_addr - h->load_addr > len)
            return boot_fail(ctx, "multiboot load_end_addr 0x%x lies past the end of the file",
                             h->load_end_addr);
        len = h->load_end_addr - h->load_addr;
    }
    uint64_t mem = len;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < h->load_addr + len)
            return boot_fail(ctx, "multiboot bss_end_addr 0x%x is below the loaded image",
                             h->bss_end_addr);
        mem = h->bss_end_addr - h->load_addr;
    }
    if (boot_check_low(ctx, h->load_addr, mem ? mem : 1, BOOT_USES_INFO, "multiboot image") < 0)
        return -1;
    uint8_t *dst = guest_mem_hva(&ctx->vm->mem, h->load_addr, mem ? mem : 1);
    if (!dst)
        return boot_fail(ctx, "multiboot image 0x%x-0x%llx does not fit in RAM", h->load_addr,
                         (unsigned long long)(h->load_addr + mem));
    memcpy(dst, ctx->img + file_off, len);
    memset(dst + len, 0, mem - len);
    *end = h->load_addr + mem;
    return 0;
}

/* The information structure, the module list and the memory map, in the info page (3.3). */
static int write_info(struct boot_ctx *ctx, uint64_t initrd, uint64_t initrd_len)
{
    struct vm *vm = ctx->vm;
    uint8_t *page = guest_mem_hva(&vm->mem, BOOT_INFO_ADDR, 4096);
    if (!page)
        return boot_fail(ctx, "RAM too small for the multiboot information");
    memset(page, 0, 4096);
    uint64_t low_end = guest_mem_low_end(&vm->mem);
    struct multiboot_info mbi = {
        .flags = MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME,
        .mem_lower = BOOT_EBDA_ADDR >> 10,
        .mem_upper = (uint32_t)((low_end - BOOT_HIGH_ADDR) >> 10),
        .cmdline = BOOT_CMDLINE_ADDR,
    };
    size_t off = sizeof(mbi);
    static const char name[] = "vmon";
    mbi.boot_loader_name = BOOT_INFO_ADDR + (uint32_t)off;
    memcpy(page + off, name, sizeof(name));
    off = (off + sizeof(name) + 7) & ~7ul;
    if (initrd_len) {
        const char *file = vm->cfg.initrd;
        size_t flen = strnlen(file, 1024);
        struct multiboot_mod mod = { .mod_start = (uint32_t)initrd,
                                     .mod_end = (uint32_t)(initrd + initrd_len) };
        mbi.mods_count = 1;
        mbi.mods_addr = BOOT_INFO_ADDR + (uint32_t)off;
        off += sizeof(mod);
        mod.string = BOOT_INFO_ADDR + (uint32_t)off;   /* the module's cmdline: its file name */
        memcpy(page + mbi.mods_addr - BOOT_INFO_ADDR, &mod, sizeof(mod));
        memcpy(page + off, file, flen);
        off = (off + flen + 1 + 7) & ~7ul;
    }
    struct e820_entry map[MB_MAX_MMAP];
    int n = e820_build(&vm->mem, map, MB_MAX_MMAP);
    mbi.mmap_addr = BOOT_INFO_ADDR + (uint32_t)off;
    for (int i = 0; i < n; i++) {
        struct multiboot_mmap e = { .size = sizeof(e) - 4, .addr = map[i].addr, .len = map[i].size,
                                    .type = map[i].type };
        memcpy(page + off, &e, sizeof(e));
        off += sizeof(e);
    }
    mbi.mmap_length = (uint32_t)(n * sizeof(struct multiboot_mmap));
    memcpy(page, &mbi, sizeof(mbi));
    return 0;
}

int multiboot_load(struct boot_ctx *ctx)
{
    long hoff = multiboot_find_header(ctx->img, ctx->len);
    struct multiboot_header h;
    memset(&h, 0, sizeof(h));
    size_t avail = ctx->len - (size_t)hoff;
    memcpy(&h, ctx->img + hoff, avail < sizeof(h) ? avail : sizeof(h));
    uint32_t required = h.flags & 0xffff;
    if (required & ~MB_SUPPORTED)
        return boot_fail(ctx, "multiboot header requires features vmon lacks (flags 0x%x)",
                         required & ~MB_SUPPORTED);

    uint64_t end, entry;
    if (h.flags & MB_AOUT_KLUDGE) {
        if (avail < 32)
            return boot_fail(ctx, "truncated multiboot header");
        if (load_aout_kludge(ctx, &h, hoff, &end) < 0)
            return -1;
        entry = h.entry_addr;
    } else {
        struct elf_info ei;
        if (!elf_probe(ctx->img, ctx->len))
            return boot_fail(ctx, "multiboot kernel is neither ELF nor has load addresses (flag 16)");
        if (elf_parse(ctx, &ei) < 0 || elf_load_segments(ctx, &ei, BOOT_USES_INFO, &end) < 0)
            return -1;
        entry = elf_entry_phys(&ei);
    }
    if (entry > 0xffffffffull)
        return boot_fail(ctx, "multiboot entry 0x%llx is above 4 GiB", (unsigned long long)entry);

    uint64_t initrd, initrd_len;
    if (boot_write_cmdline(ctx, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX) < 0 ||
        boot_load_initrd(ctx, end, 0, &initrd, &initrd_len) < 0 ||
        write_info(ctx, initrd, initrd_len) < 0)
        return -1;
    if (boot_entry_prot32(ctx, &ctx->vm->boot_state, (uint32_t)entry) < 0)
        return -1;
    ctx->vm->boot_state.gpr[R_RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    ctx->vm->boot_state.gpr[R_RBX] = BOOT_INFO_ADDR;
    return 0;
}
