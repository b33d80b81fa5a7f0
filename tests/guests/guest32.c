/* C entry of the 32-bit guests: PVH (hvm_start_info in ebx) and multiboot (magic in eax, info in
 * ebx). Each checks what the loader handed over, then runs the common tests. */
#include "guest.h"
#include "boot/multiboot.h"
#include "boot/pvh.h"

void pvh_main(const struct hvm_start_info *si);
void mb_main(uint32_t magic, const struct multiboot_info *mbi);

void pvh_main(const struct hvm_start_info *si)
{
    if (si->magic != HVM_START_MAGIC) {
        puts_("vmon-guest: bad hvm_start_info magic\n");
        debug_exit(0x7e);
    }
    puts_("vmon-guest: pvh memmap entries=");
    putdec(si->memmap_entries);
    puts_(" modules=");
    putdec(si->nr_modules);
    puts_(" rsdp=0x");
    puthex(si->rsdp_paddr, 8);
    puts_("\n");
    guest_main("pvh", (const char *)(uintptr_t)si->cmdline_paddr);
}

void mb_main(uint32_t magic, const struct multiboot_info *mbi)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        puts_("vmon-guest: bad multiboot magic 0x");
        puthex(magic, 8);
        puts_("\n");
        debug_exit(0x7e);
    }
    puts_("vmon-guest: multiboot mem_upper=");
    putdec(mbi->mem_upper);
    puts_(" mmap entries=");
    putdec((mbi->flags & MBI_MMAP) ? mbi->mmap_length / sizeof(struct multiboot_mmap) : 0);
    puts_(" mods=");
    putdec((mbi->flags & MBI_MODS) ? mbi->mods_count : 0);
    puts_("\n");
    const char *cmdline = (mbi->flags & MBI_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";
#ifdef AOUT
    guest_main("multiboot-aout", cmdline);
#else
    guest_main("multiboot-elf", cmdline);
#endif
}
