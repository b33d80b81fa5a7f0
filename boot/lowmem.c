/* Kernels below 1 MiB. QEMU's ELF and multiboot loaders copy segments wherever the kernel asks,
 * conventional memory included; vmon does too, as long as a segment stays in RAM (below the EBDA,
 * 0x9fc00: from there to 1 MiB the e820 map reports reserved, a PC's BIOS and VGA window) and clear
 * of what vmon itself writes there for the entry the kernel uses (loader.h's low-memory layout:
 * the GDT, the multiboot/PVH information page, the zero page and the boot page tables of a 64-bit
 * entry, and the command line). A clash is a one-line error naming both ranges. */
#include <string.h>

#include "boot/loader.h"
#include "machine/vm.h"

struct low_range {
    uint64_t start, end;
    unsigned uses;             /* the BOOT_USES_* entries that write it; 0: every entry */
    const char *what;
};

static const struct low_range vmon_low[] = {
    { BOOT_GDT_ADDR, BOOT_GDT_ADDR + 0x100, 0, "GDT" },
    { BOOT_INFO_ADDR, BOOT_INFO_ADDR + 0x1000, BOOT_USES_INFO, "boot information page" },
    { BOOT_ZERO_PAGE, BOOT_ZERO_PAGE + 0x1000, BOOT_USES_ZERO_PAGE, "zero page (boot_params)" },
    { BOOT_PML4_ADDR, BOOT_PD_ADDR + 4 * 0x1000, BOOT_USES_ZERO_PAGE, "boot page tables" },
};

static int clash(struct boot_ctx *ctx, const char *what, uint64_t gpa, uint64_t end,
                 uint64_t rs, uint64_t re, const char *theirs)
{
    return boot_fail(ctx, "%s 0x%llx-0x%llx overlaps vmon's %s at 0x%llx-0x%llx", what,
                     (unsigned long long)gpa, (unsigned long long)end, theirs,
                     (unsigned long long)rs, (unsigned long long)re);
}

int boot_check_low(struct boot_ctx *ctx, uint64_t gpa, uint64_t len, unsigned uses, const char *what)
{
    uint64_t end = gpa + len;
    if (gpa >= BOOT_HIGH_ADDR || len == 0)
        return 0;
    if (end > BOOT_EBDA_ADDR)
        return clash(ctx, what, gpa, end, BOOT_EBDA_ADDR, BOOT_HIGH_ADDR,
                     "reserved EBDA and BIOS area (not RAM)");
    for (size_t i = 0; i < sizeof(vmon_low) / sizeof(vmon_low[0]); i++) {
        const struct low_range *r = &vmon_low[i];
        if ((r->uses == 0 || (r->uses & uses)) && gpa < r->end && r->start < end)
            return clash(ctx, what, gpa, end, r->start, r->end, r->what);
    }
    const char *cmdline = ctx->vm->cfg.cmdline ? ctx->vm->cfg.cmdline : "";
    uint64_t cmd_end = BOOT_CMDLINE_ADDR + strnlen(cmdline, BOOT_CMDLINE_MAX - 1) + 1;
    if (gpa < cmd_end && BOOT_CMDLINE_ADDR < end)
        return clash(ctx, what, gpa, end, BOOT_CMDLINE_ADDR, cmd_end, "command line");
    return 0;
}
