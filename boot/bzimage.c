/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst) for bzImage files: the real-mode setup
 * sectors carry a setup_header at 0x1f1; the protected-mode kernel follows them in the file.
 *
 * Two ways in, as a boot loader chooses:
 *  - 64-bit boot protocol (xloadflags XLF_KERNEL_64, protocol 2.12+): vmon does what the setup code
 *    would have done -- fills boot_params itself (e820 map, cmdline, initrd) -- and enters the
 *    protected-mode kernel at its load address + 0x200 in long mode with rsi = boot_params.
 *  - Real-mode entry (any other bzImage): the setup code is loaded at 0x90000 with its header filled
 *    in and runs from setup_seg+0x20:0 in real mode, switching modes itself. vmon has no BIOS, so this
 *    suits images whose setup does not call BIOS services (vmon's real-mode test guest does not). */
#include <string.h>

#include "machine/accel.h"
#include "boot/loader.h"
#include "machine/vm.h"

#define MIN_PROTOCOL        0x0206    /* cmdline_size, the header fields below it, are needed */
#define SETUP_MAX_SECTS     63        /* setup + heap + cmdline stay inside 0x90000..0x9fc00 */
#define REALMODE_HEAP_END   0xe000    /* from the setup's base; the cmdline follows */
#define REALMODE_CMDLINE    (BOOT_REALMODE_ADDR + REALMODE_HEAP_END)
#define INITRD_MAX_DEFAULT  0x37ffffff  /* boot.rst: for protocols before 2.03 */

bool bzimage_probe(const uint8_t *img, size_t len)
{
    return len >= 0x206 && img[0x1fe] == 0x55 && img[0x1ff] == 0xaa && !memcmp(img + 0x202, "HdrS", 4);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Where the protected-mode kernel goes: pref_address when the kernel is relocatable and it fits,
 * else 1 MiB rounded up to kernel_alignment; a non-relocatable kernel always at 1 MiB. */
static uint64_t kernel_load_addr(const struct setup_header *h, uint64_t need, uint64_t ram_end)
{
    if (!h->relocatable_kernel)
        return BOOT_HIGH_ADDR;
    if (h->pref_address >= BOOT_HIGH_ADDR && h->pref_address < ram_end && need <= ram_end - h->pref_address)
        return h->pref_address;
    uint64_t a = h->kernel_alignment;
    if (a == 0 || (a & (a - 1)) || a > (64u << 20))
        return BOOT_HIGH_ADDR;
    return align_up(BOOT_HIGH_ADDR, a);
}

int bzimage_load(struct boot_ctx *ctx)
{
    struct vm *vm = ctx->vm;
    struct setup_header h;
    memset(&h, 0, sizeof(h));
    /* The header's real length is in the jump instruction at 0x200 (boot.rst: "the end of the setup
     * header can be calculated as 0x0202 + the byte value at offset 0x0201"). */
    size_t hdr_len = 0x202 + ctx->img[0x201] - SETUP_HEADER_OFFSET;
    if (hdr_len > sizeof(h))
        hdr_len = sizeof(h);
    if (SETUP_HEADER_OFFSET + hdr_len > ctx->len)
        return boot_fail(ctx, "truncated bzImage (setup header cut short)");
    memcpy(&h, ctx->img + SETUP_HEADER_OFFSET, hdr_len);

    if (h.version < MIN_PROTOCOL)
        return boot_fail(ctx, "boot protocol %u.%02u is too old (vmon needs 2.06 or later)",
                         h.version >> 8, h.version & 0xff);
    if (!(h.loadflags & LOADED_HIGH))
        return boot_fail(ctx, "zImage (kernel loaded low) is not supported, only bzImage");
    unsigned sects = h.setup_sects ? h.setup_sects : 4;
    size_t setup_len = (size_t)(sects + 1) * 512;
    if (setup_len >= ctx->len)
        return boot_fail(ctx, "truncated bzImage (%zu bytes of setup, file is %zu bytes)", setup_len,
                         ctx->len);
    const uint8_t *kernel = ctx->img + setup_len;
    uint64_t klen = ctx->len - setup_len;
    /* syssize counts 16-byte paragraphs, rounded up: allow the last one to be partial. */
    if ((uint64_t)h.syssize * 16 > klen + 15)
        return boot_fail(ctx, "truncated bzImage (header says %llu bytes of kernel, file has %llu)",
                         (unsigned long long)h.syssize * 16, (unsigned long long)klen);

    bool long64 = h.version >= 0x020c && (h.xloadflags & XLF_KERNEL_64);
    if (!long64 && sects > SETUP_MAX_SECTS)
        return boot_fail(ctx, "setup of %u sectors is too large for a real-mode entry", sects);

    uint64_t ram_end = guest_mem_low_end(&vm->mem);
    uint64_t need = klen > h.init_size ? klen : h.init_size;   /* init_size: 2.10+, else 0 */
    uint64_t load = long64 ? kernel_load_addr(&h, need, ram_end) : BOOT_HIGH_ADDR;
    if (load + need > ram_end)
        return boot_fail(ctx, "kernel needs %llu MiB from 0x%llx but RAM ends at %llu MiB",
                         (unsigned long long)(need + (1 << 20) - 1) >> 20, (unsigned long long)load,
                         (unsigned long long)ram_end >> 20);
    if (boot_copy(ctx, load, kernel, klen, "kernel") < 0)
        return -1;

    uint64_t initrd_max = h.version >= 0x0203 ? (uint64_t)h.initrd_addr_max + 1 : INITRD_MAX_DEFAULT + 1;
    uint64_t initrd, initrd_len;
    if (boot_load_initrd(ctx, load + need, initrd_max, &initrd, &initrd_len) < 0)
        return -1;

    /* The fields a boot loader writes (boot.rst "Details of header fields", "obligatory" ones). */
    h.type_of_loader = 0xff;
    h.ramdisk_image = (uint32_t)initrd;
    h.ramdisk_size = (uint32_t)initrd_len;
    h.code32_start = (uint32_t)load;
    uint64_t cmdline_max = (uint64_t)h.cmdline_size + 1;

    if (!long64) {
        /* Real-mode entry: setup at 0x90000, heap up to 0x9e000, cmdline after it. */
        uint64_t room = BOOT_EBDA_ADDR - REALMODE_CMDLINE;
        if (boot_write_cmdline(ctx, REALMODE_CMDLINE, cmdline_max < room ? cmdline_max : room) < 0)
            return -1;
        h.cmd_line_ptr = REALMODE_CMDLINE;
        h.heap_end_ptr = REALMODE_HEAP_END - 0x200;
        h.loadflags = (uint8_t)((h.loadflags | CAN_USE_HEAP) & ~KEEP_SEGMENTS);
        if (boot_copy(ctx, BOOT_REALMODE_ADDR, ctx->img, setup_len, "setup code") < 0 ||
            boot_copy(ctx, BOOT_REALMODE_ADDR + SETUP_HEADER_OFFSET, &h, hdr_len, "setup header") < 0)
            return -1;
        return boot_entry_real(ctx, &vm->boot_state, BOOT_REALMODE_ADDR >> 4, 0x200, REALMODE_HEAP_END);
    }

    if (boot_write_cmdline(ctx, BOOT_CMDLINE_ADDR, cmdline_max) < 0)
        return -1;
    h.cmd_line_ptr = BOOT_CMDLINE_ADDR;

    /* boot_params: zeroed ("a loader that does not know the fields sets them to 0", zero-page.rst),
     * the header as the image has it plus the loader's fields, the e820 map and the RSDP. */
    struct boot_params *bp = guest_mem_hva(&vm->mem, BOOT_ZERO_PAGE, sizeof(*bp));
    if (!bp)
        return boot_fail(ctx, "RAM too small for boot_params");
    memset(bp, 0, sizeof(*bp));
    memcpy(&bp->hdr, &h, hdr_len);
    bp->e820_entries = (uint8_t)e820_build(&vm->mem, bp->e820_table, E820_MAX_ZEROPAGE);
    bp->acpi_rsdp_addr = ctx->rsdp_addr;
    bp->alt_mem_k = (uint32_t)((ram_end - BOOT_HIGH_ADDR) >> 10);
    if (boot_entry_long64(ctx, &vm->boot_state, load + 0x200) < 0)
        return -1;
    vm->boot_state.gpr[R_RSI] = BOOT_ZERO_PAGE;
    return 0;
}
