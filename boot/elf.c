/* ELF kernels (a vmlinux, or any x86 ELF executable): PT_LOAD segments go to their physical addresses.
 * With a Xen PHYS32_ENTRY note the kernel is entered through the PVH ABI (32-bit, hvm_start_info in
 * ebx); without one, a 64-bit ELF is entered at its entry point in long mode with boot_params in rsi,
 * as Linux's startup_64 accepts (it is what Firecracker does for a vmlinux without PVH). */
#include <elf.h>
#include <string.h>

#include "machine/accel.h"
#include "boot/loader.h"
#include "boot/pvh.h"
#include "machine/vm.h"

bool elf_probe(const uint8_t *img, size_t len)
{
    if (len < EI_NIDENT + 4 || memcmp(img, ELFMAG, SELFMAG) != 0)
        return false;
    return (img[EI_CLASS] == ELFCLASS32 || img[EI_CLASS] == ELFCLASS64) && img[EI_DATA] == ELFDATA2LSB;
}

/* Look for XEN_ELFNOTE_PHYS32_ENTRY in one PT_NOTE segment (ELF spec "Note Section": namesz, descsz,
 * type, then name and desc each padded to 4 bytes). */
static uint64_t find_pvh_note(const uint8_t *p, uint64_t len)
{
    uint64_t off = 0;
    while (len - off >= 12) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, p + off, 4);
        memcpy(&descsz, p + off + 4, 4);
        memcpy(&type, p + off + 8, 4);
        uint64_t name = off + 12;
        uint64_t desc = name + (((uint64_t)namesz + 3) & ~3ull);
        uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ull);
        if (next > len)
            return 0;
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(p + name, "Xen", 4)) {
            if (descsz == 4) {
                uint32_t v;
                memcpy(&v, p + desc, 4);
                return v;
            }
            if (descsz == 8) {
                uint64_t v;
                memcpy(&v, p + desc, 8);
                return v;
            }
        }
        off = next;
    }
    return 0;
}

int elf_parse(struct boot_ctx *ctx, struct elf_info *ei)
{
    memset(ei, 0, sizeof(*ei));
    const uint8_t *img = ctx->img;
    uint64_t phoff, phnum, phentsize;
    uint16_t machine, type;
    ei->is64 = img[EI_CLASS] == ELFCLASS64;
    if (ei->is64) {
        Elf64_Ehdr eh;
        if (ctx->len < sizeof(eh))
            return boot_fail(ctx, "truncated ELF header");
        memcpy(&eh, img, sizeof(eh));
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        machine = eh.e_machine, type = eh.e_type;
        ei->entry = eh.e_entry;
    } else {
        Elf32_Ehdr eh;
        if (ctx->len < sizeof(eh))
            return boot_fail(ctx, "truncated ELF header");
        memcpy(&eh, img, sizeof(eh));
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        machine = eh.e_machine, type = eh.e_type;
        ei->entry = eh.e_entry;
    }
    if (machine != EM_X86_64 && machine != EM_386)
        return boot_fail(ctx, "ELF for machine %u, not x86", machine);
    if (type != ET_EXEC)
        return boot_fail(ctx, "ELF type %u is not an executable", type);
    size_t want = ei->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (phentsize != want || phnum == 0 || phoff > ctx->len || phnum * want > ctx->len - phoff)
        return boot_fail(ctx, "truncated or malformed ELF program headers");

    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + i * want;
        uint64_t ptype, off, paddr, vaddr, filesz, memsz;
        if (ei->is64) {
            Elf64_Phdr p;
            memcpy(&p, ph, sizeof(p));
            ptype = p.p_type, off = p.p_offset, paddr = p.p_paddr, vaddr = p.p_vaddr;
            filesz = p.p_filesz, memsz = p.p_memsz;
        } else {
            Elf32_Phdr p;
            memcpy(&p, ph, sizeof(p));
            ptype = p.p_type, off = p.p_offset, paddr = p.p_paddr, vaddr = p.p_vaddr;
            filesz = p.p_filesz, memsz = p.p_memsz;
        }
        if (ptype != PT_LOAD && ptype != PT_NOTE)
            continue;
        if (off > ctx->len || filesz > ctx->len - off)
            return boot_fail(ctx, "truncated ELF: segment %llu lies past the end of the file",
                             (unsigned long long)i);
        if (ptype == PT_NOTE) {
            if (!ei->pvh_entry)
                ei->pvh_entry = find_pvh_note(img + off, filesz);
            continue;
        }
        if (memsz == 0)
            continue;
        if (filesz > memsz)
            return boot_fail(ctx, "malformed ELF: segment %llu has p_filesz > p_memsz",
                             (unsigned long long)i);
        if (ei->nseg == ELF_MAX_SEGS)
            return boot_fail(ctx, "more than %d loadable ELF segments", ELF_MAX_SEGS);
        ei->seg[ei->nseg++] = (struct elf_seg){ .paddr = paddr, .vaddr = vaddr, .filesz = filesz,
                                                .memsz = memsz, .offset = off };
    }
    if (ei->nseg == 0)
        return boot_fail(ctx, "ELF has no loadable segments");
    return 0;
}

int elf_load_segments(struct boot_ctx *ctx, const struct elf_info *ei, unsigned uses, uint64_t *end)
{
    *end = 0;
    for (int i = 0; i < ei->nseg; i++) {
        const struct elf_seg *s = &ei->seg[i];
        if (boot_check_low(ctx, s->paddr, s->memsz, uses, "ELF segment") < 0)
            return -1;
        uint8_t *dst = guest_mem_hva(&ctx->vm->mem, s->paddr, s->memsz);
        if (!dst)
            return boot_fail(ctx, "ELF segment 0x%llx-0x%llx does not fit in RAM (%llu MiB)",
                             (unsigned long long)s->paddr, (unsigned long long)(s->paddr + s->memsz),
                             (unsigned long long)(ctx->vm->mem.ram_size >> 20));
        memcpy(dst, ctx->img + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
        if (s->paddr + s->memsz > *end)
            *end = s->paddr + s->memsz;
    }
    return 0;
}

uint64_t elf_entry_phys(const struct elf_info *ei)
{
    for (int i = 0; i < ei->nseg; i++) {
        const struct elf_seg *s = &ei->seg[i];
        if (ei->entry - s->vaddr < s->memsz)
            return ei->entry - s->vaddr + s->paddr;
    }
    return ei->entry;
}

/* PVH: hvm_start_info, then the module list (the initrd) and the memory map, in the info page. */
static int pvh_start(struct boot_ctx *ctx, const struct elf_info *ei, uint64_t kernel_end)
{
    struct vm *vm = ctx->vm;
    uint64_t initrd, initrd_len;
    if (boot_write_cmdline(ctx, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX) < 0 ||
        boot_load_initrd(ctx, kernel_end, 0, &initrd, &initrd_len) < 0)
        return -1;
    uint8_t *page = guest_mem_hva(&vm->mem, BOOT_INFO_ADDR, 4096);
    if (!page)
        return boot_fail(ctx, "RAM too small for hvm_start_info");
    memset(page, 0, 4096);
    struct hvm_start_info si = { .magic = HVM_START_MAGIC, .version = 1,
                                 .cmdline_paddr = BOOT_CMDLINE_ADDR, .rsdp_paddr = ctx->rsdp_addr };
    size_t off = sizeof(si);
    if (initrd_len) {
        struct hvm_modlist_entry mod = { .paddr = initrd, .size = initrd_len };
        si.nr_modules = 1;
        si.modlist_paddr = BOOT_INFO_ADDR + off;
        memcpy(page + off, &mod, sizeof(mod));
        off += sizeof(mod);
    }
    struct e820_entry map[16];
    int n = e820_build(&vm->mem, map, 16);
    si.memmap_paddr = BOOT_INFO_ADDR + off;
    si.memmap_entries = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        struct hvm_memmap_entry e = { .addr = map[i].addr, .size = map[i].size, .type = map[i].type };
        memcpy(page + off, &e, sizeof(e));
        off += sizeof(e);
    }
    memcpy(page, &si, sizeof(si));
    if (ei->pvh_entry > 0xffffffffull)
        return boot_fail(ctx, "PVH entry 0x%llx is above 4 GiB", (unsigned long long)ei->pvh_entry);
    if (boot_entry_prot32(ctx, &vm->boot_state, (uint32_t)ei->pvh_entry) < 0)
        return -1;
    vm->boot_state.gpr[R_RBX] = BOOT_INFO_ADDR;
    return 0;
}

/* No PVH note: a 64-bit entry with a minimal boot_params, as a 64-bit boot-protocol loader leaves it. */
static int linux64_start(struct boot_ctx *ctx, const struct elf_info *ei, uint64_t kernel_end)
{
    struct vm *vm = ctx->vm;
    uint64_t initrd, initrd_len;
    if (boot_write_cmdline(ctx, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX) < 0 ||
        boot_load_initrd(ctx, kernel_end, 0x80000000ull, &initrd, &initrd_len) < 0)
        return -1;
    struct boot_params *bp = guest_mem_hva(&vm->mem, BOOT_ZERO_PAGE, sizeof(*bp));
    if (!bp)
        return boot_fail(ctx, "RAM too small for boot_params");
    memset(bp, 0, sizeof(*bp));
    bp->hdr.boot_flag = SETUP_BOOT_FLAG;
    bp->hdr.header = SETUP_HDRS_MAGIC;
    bp->hdr.version = 0x020c;
    bp->hdr.type_of_loader = 0xff;
    bp->hdr.loadflags = LOADED_HIGH;
    bp->hdr.cmd_line_ptr = BOOT_CMDLINE_ADDR;
    bp->hdr.cmdline_size = BOOT_CMDLINE_MAX - 1;
    bp->hdr.ramdisk_image = (uint32_t)initrd;
    bp->hdr.ramdisk_size = (uint32_t)initrd_len;
    bp->hdr.initrd_addr_max = 0x7fffffff;
    bp->hdr.kernel_alignment = 0x200000;
    bp->e820_entries = (uint8_t)e820_build(&vm->mem, bp->e820_table, E820_MAX_ZEROPAGE);
    bp->acpi_rsdp_addr = ctx->rsdp_addr;
    if (boot_entry_long64(ctx, &vm->boot_state, elf_entry_phys(ei)) < 0)
        return -1;
    vm->boot_state.gpr[R_RSI] = BOOT_ZERO_PAGE;
    return 0;
}

int elf_load(struct boot_ctx *ctx)
{
    struct elf_info ei;
    uint64_t end;
    if (elf_parse(ctx, &ei) < 0)
        return -1;
    if (!ei.pvh_entry && !ei.is64)
        return boot_fail(ctx, "32-bit ELF without a PVH note or multiboot header: no known entry");
    if (elf_load_segments(ctx, &ei, ei.pvh_entry ? BOOT_USES_INFO : BOOT_USES_ZERO_PAGE, &end) < 0)
        return -1;
    return ei.pvh_entry ? pvh_start(ctx, &ei, end) : linux64_start(ctx, &ei, end);
}
