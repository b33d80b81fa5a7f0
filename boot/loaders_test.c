/* Unit tests: boot_load on synthetic kernels written to temporary files -- what each loader puts in
 * guest RAM and in the boot CPU state, and the one-line errors for what it must refuse. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "boot/bootparam.h"
#include "boot/loader.h"
#include "boot/multiboot.h"
#include "boot/pvh.h"
#include "machine/vm.h"

#define RAM (64u << 20)

struct fixture {
    struct vm *vm;
    char kernel[64], initrd[64];
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->vm = calloc(1, sizeof(*f->vm));
    if (!f || !f->vm || guest_mem_init(&f->vm->mem, RAM) < 0)
        return -1;
    f->vm->ncpus = 2;
    f->vm->cfg.mem_size = RAM;
    f->vm->cfg.ncpus = 2;
    strcpy(f->kernel, "/tmp/vmon-boot-test-kernel-XXXXXX");
    strcpy(f->initrd, "/tmp/vmon-boot-test-initrd-XXXXXX");
    int a = mkstemp(f->kernel), b = mkstemp(f->initrd);
    if (a < 0 || b < 0)
        return -1;
    close(a);
    close(b);
    f->vm->cfg.kernel = f->kernel;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->kernel);
    unlink(f->initrd);
    guest_mem_destroy(&f->vm->mem);
    free(f->vm);
    free(f);
    return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void *gpa(struct fixture *f, uint64_t addr, uint64_t len)
{
    void *p = guest_mem_hva(&f->vm->mem, addr, len);
    assert_non_null(p);
    return p;
}

static void expect_error(struct fixture *f, const char *needle)
{
    int r = boot_load(f->vm, f->err, sizeof(f->err));
    assert_int_equal(r, -1);
    if (!strstr(f->err, needle))
        fail_msg("error '%s' lacks '%s'", f->err, needle);
    assert_null(strchr(f->err, '\n'));
}

/* A minimal bzImage: 4 setup sectors after the boot sector, then `klen` bytes of kernel. */
static uint8_t *make_bzimage(size_t klen, uint16_t version, uint16_t xloadflags, size_t *len)
{
    *len = 5 * 512 + klen;
    uint8_t *img = calloc(1, *len);
    struct setup_header h = {
        .setup_sects = 4, .syssize = (uint32_t)(klen / 16), .boot_flag = SETUP_BOOT_FLAG,
        .jump = (uint16_t)(0xeb | ((0x26c - 0x202) << 8)), .header = SETUP_HDRS_MAGIC,
        .version = version, .loadflags = LOADED_HIGH, .code32_start = 0x100000,
        .initrd_addr_max = 0x7fffffff, .kernel_alignment = 0x200000, .xloadflags = xloadflags,
        .cmdline_size = 255, .init_size = 0x20000,
    };
    memcpy(img + SETUP_HEADER_OFFSET, &h, sizeof(h));
    for (size_t i = 0; i < klen; i++)
        img[5 * 512 + i] = (uint8_t)(i * 7 + 1);
    return img;
}

static void test_reject_garbage(void **state)
{
    struct fixture *f = *state;
    const char text[] = "#!/bin/sh\necho this is not a kernel\n";
    write_file(f->kernel, text, sizeof(text));
    expect_error(f, "not a bzImage, ELF or multiboot kernel");
    assert_int_equal(strncmp(f->err, f->kernel, strlen(f->kernel)), 0);
    write_file(f->kernel, "", 0);
    expect_error(f, "not a bzImage, ELF or multiboot kernel");
}

static void test_reject_unreadable(void **state)
{
    struct fixture *f = *state;
    f->vm->cfg.kernel = "/nonexistent/vmlinuz";
    expect_error(f, "/nonexistent/vmlinuz: No such file or directory");
    f->vm->cfg.kernel = "/tmp";
    expect_error(f, "not a regular file");
    f->vm->cfg.kernel = NULL;
    expect_error(f, "no kernel");
}

static void test_reject_too_big(void **state)
{
    struct fixture *f = *state;
    size_t len;
    uint8_t *img = make_bzimage(4096, 0x020f, XLF_KERNEL_64, &len);
    write_file(f->kernel, img, len);
    /* initrd larger than RAM: a sparse file */
    FILE *fp = fopen(f->initrd, "wb");
    assert_int_equal(fseek(fp, RAM + 1, SEEK_SET), 0);
    fputc(0, fp);
    fclose(fp);
    f->vm->cfg.initrd = f->initrd;
    expect_error(f, "is larger than RAM");
    /* initrd that is smaller than RAM but cannot fit after the kernel */
    assert_int_equal(truncate(f->initrd, RAM - (1u << 20)), 0);
    expect_error(f, "does not fit in RAM");
    f->vm->cfg.initrd = "/nonexistent/initrd";
    expect_error(f, "/nonexistent/initrd: No such file");
    f->vm->cfg.initrd = NULL;
    /* a kernel whose init_size exceeds RAM */
    struct setup_header *h = (struct setup_header *)(img + SETUP_HEADER_OFFSET);
    h->init_size = RAM;
    write_file(f->kernel, img, len);
    expect_error(f, "kernel needs");
    /* a kernel file larger than RAM */
    assert_int_equal(truncate(f->kernel, RAM + 4096), 0);
    expect_error(f, "does not fit in RAM");
    free(img);
}

static void test_reject_bad_bzimage(void **state)
{
    struct fixture *f = *state;
    size_t len;
    uint8_t *img = make_bzimage(4096, 0x0204, XLF_KERNEL_64, &len);
    write_file(f->kernel, img, len);
    expect_error(f, "boot protocol 2.04 is too old");
    free(img);
    img = make_bzimage(4096, 0x020f, XLF_KERNEL_64, &len);
    write_file(f->kernel, img, 5 * 512 - 100);          /* cut inside the setup */
    expect_error(f, "truncated bzImage");
    write_file(f->kernel, img, 5 * 512 + 1000);         /* cut inside the kernel */
    expect_error(f, "truncated bzImage");
    write_file(f->kernel, img, 0x210);                  /* cut inside the header */
    expect_error(f, "truncated bzImage");
    img[SETUP_HEADER_OFFSET + offsetof(struct setup_header, loadflags)] = 0;
    write_file(f->kernel, img, len);
    expect_error(f, "zImage");
    free(img);
    img = make_bzimage(4096, 0x020f, XLF_KERNEL_64, &len);
    write_file(f->kernel, img, len);
    char longcmd[300];
    memset(longcmd, 'x', sizeof(longcmd) - 1);
    longcmd[sizeof(longcmd) - 1] = 0;
    f->vm->cfg.cmdline = longcmd;                       /* cmdline_size is 255 */
    expect_error(f, "command line is 299 bytes");
    free(img);
}

static void test_bzimage_64(void **state)
{
    struct fixture *f = *state;
    size_t len;
    uint8_t *img = make_bzimage(8192, 0x020f, XLF_KERNEL_64, &len);
    write_file(f->kernel, img, len);
    static uint8_t rd[10000];
    memset(rd, 0xab, sizeof(rd));
    write_file(f->initrd, rd, sizeof(rd));
    f->vm->cfg.initrd = f->initrd;
    f->vm->cfg.cmdline = "console=ttyS0 quiet";
    assert_int_equal(boot_load(f->vm, f->err, sizeof(f->err)), 0);

    struct cpu_state *s = &f->vm->boot_state;
    assert_int_equal(s->rip, 0x100200);                 /* 64-bit entry: load address + 0x200 */
    assert_int_equal(s->gpr[R_RSI], BOOT_ZERO_PAGE);
    assert_int_equal(s->efer & 0x500, 0x500);           /* LME | LMA */
    assert_int_equal(s->cr0 & 0x80000001, 0x80000001);  /* PG | PE */
    assert_int_equal(s->cr4 & 0x20, 0x20);              /* PAE */
    assert_int_equal(s->seg[SEG_CS].l, 1);
    assert_int_equal(s->seg[SEG_CS].selector, 0x10);
    assert_int_equal(s->seg[SEG_DS].selector, 0x18);
    /* the identity map covers the kernel: PML4[0] -> PDPT[0] -> PD[0] maps 0..2 MiB */
    uint64_t *pml4 = gpa(f, s->cr3, 4096);
    uint64_t *pdpt = gpa(f, pml4[0] & ~0xfffull, 4096);
    uint64_t *pd = gpa(f, pdpt[0] & ~0xfffull, 4096);
    assert_int_equal(pd[0], 0x83);
    assert_int_equal(pd[1], 0x200083);

    assert_memory_equal(gpa(f, 0x100000, 8192), img + 5 * 512, 8192);
    struct boot_params *bp = gpa(f, BOOT_ZERO_PAGE, 4096);
    assert_int_equal(bp->hdr.header, SETUP_HDRS_MAGIC);
    assert_int_equal(bp->hdr.boot_flag, SETUP_BOOT_FLAG);
    assert_int_equal(bp->hdr.version, 0x020f);
    assert_int_equal(bp->hdr.type_of_loader, 0xff);
    assert_string_equal(gpa(f, bp->hdr.cmd_line_ptr, 20), "console=ttyS0 quiet");
    assert_int_equal(bp->hdr.ramdisk_size, sizeof(rd));
    assert_int_equal(bp->hdr.ramdisk_image % 4096, 0);
    assert_true(bp->hdr.ramdisk_image >= 0x100000 + 0x20000);     /* above init_size */
    assert_true(bp->hdr.ramdisk_image + sizeof(rd) <= RAM);
    assert_memory_equal(gpa(f, bp->hdr.ramdisk_image, sizeof(rd)), rd, sizeof(rd));
    assert_int_equal(bp->e820_entries, 4);           /* RAM, BIOS area, RAM, ECAM */
    assert_int_equal(bp->e820_table[2].addr, 0x100000);
    assert_int_equal(bp->e820_table[2].type, E820_RAM);
    assert_int_equal(bp->acpi_rsdp_addr, BOOT_ACPI_ADDR);
    assert_memory_equal(gpa(f, BOOT_ACPI_ADDR, 8), "RSD PTR ", 8);
    assert_memory_equal(gpa(f, BOOT_MPTABLE_ADDR, 4), "_MP_", 4);
    free(img);
}

static void test_bzimage_realmode(void **state)
{
    struct fixture *f = *state;
    size_t len;
    uint8_t *img = make_bzimage(4096, 0x0206, 0, &len);
    img[0x300] = 0xf4;                                   /* marker in the setup code */
    write_file(f->kernel, img, len);
    f->vm->cfg.cmdline = "hello";
    if (boot_load(f->vm, f->err, sizeof(f->err)) != 0)
        fail_msg("%s", f->err);
    struct cpu_state *s = &f->vm->boot_state;
    assert_int_equal(s->seg[SEG_CS].selector, 0x9020);  /* setup_seg + 0x20 : 0 */
    assert_int_equal(s->seg[SEG_CS].base, 0x90200);
    assert_int_equal(s->rip, 0);
    assert_int_equal(s->seg[SEG_DS].selector, 0x9000);
    assert_int_equal(s->seg[SEG_SS].selector, 0x9000);
    assert_int_equal(s->cr0 & 1, 0);                     /* real mode */
    uint8_t *setup = gpa(f, 0x90000, 5 * 512);
    assert_int_equal(setup[0x300], 0xf4);
    struct setup_header h;
    memcpy(&h, setup + SETUP_HEADER_OFFSET, sizeof(h));
    assert_int_equal(h.type_of_loader, 0xff);
    assert_true(h.loadflags & CAN_USE_HEAP);
    assert_int_equal(h.heap_end_ptr + 0x200, s->gpr[R_RSP]);
    assert_true(h.cmd_line_ptr > 0x90000u + h.heap_end_ptr && h.cmd_line_ptr < 0x9fc00);
    assert_string_equal(gpa(f, h.cmd_line_ptr, 6), "hello");
    assert_memory_equal(gpa(f, 0x100000, 4096), img + 5 * 512, 4096);
    free(img);
}

/* A flat multiboot image using the a.out kludge: header at offset 0, loaded at 1 MiB. */
static void test_multiboot_aout(void **state)
{
    struct fixture *f = *state;
    uint8_t img[4096] = { 0 };
    struct multiboot_header h = { .magic = MULTIBOOT_HEADER_MAGIC,
                                  .flags = MB_MEMORY_INFO | MB_PAGE_ALIGN | MB_AOUT_KLUDGE,
                                  .header_addr = 0x100000, .load_addr = 0x100000,
                                  .load_end_addr = 0, .bss_end_addr = 0x103000,
                                  .entry_addr = 0x100040 };
    h.checksum = 0u - (h.magic + h.flags);
    memcpy(img + 0, &h, sizeof(h));
    img[4095] = 0x5a;
    write_file(f->kernel, img, sizeof(img));
    static uint8_t rd[5000];
    write_file(f->initrd, rd, sizeof(rd));
    f->vm->cfg.initrd = f->initrd;
    f->vm->cfg.cmdline = "mb args";
    memset(gpa(f, 0x101000, 0x2000), 0xee, 0x2000);     /* bss must be zeroed */
    assert_int_equal(boot_load(f->vm, f->err, sizeof(f->err)), 0);
    struct cpu_state *s = &f->vm->boot_state;
    assert_int_equal(s->rip, 0x100040);
    assert_int_equal(s->gpr[R_RAX], MULTIBOOT_BOOTLOADER_MAGIC);
    assert_int_equal(s->cr0 & 0x80000001, 1);            /* protected mode, paging off */
    assert_int_equal(s->seg[SEG_CS].db, 1);
    assert_int_equal(*(uint8_t *)gpa(f, 0x100fff, 1), 0x5a);
    assert_int_equal(*(uint8_t *)gpa(f, 0x102fff, 1), 0);
    struct multiboot_info mbi;
    memcpy(&mbi, gpa(f, s->gpr[R_RBX], sizeof(mbi)), sizeof(mbi));
    assert_true(mbi.flags & MBI_MEMORY);
    assert_int_equal(mbi.mem_lower, 639);
    assert_int_equal(mbi.mem_upper, (RAM - 0x100000) >> 10);
    assert_string_equal(gpa(f, mbi.cmdline, 8), "mb args");
    assert_string_equal(gpa(f, mbi.boot_loader_name, 5), "vmon");
    assert_int_equal(mbi.mods_count, 1);
    struct multiboot_mod mod;
    memcpy(&mod, gpa(f, mbi.mods_addr, sizeof(mod)), sizeof(mod));
    assert_int_equal(mod.mod_end - mod.mod_start, sizeof(rd));
    assert_int_equal(mod.mod_start % 4096, 0);
    assert_true(mod.mod_start >= 0x103000);
    assert_string_equal(gpa(f, mod.string, strlen(f->initrd) + 1), f->initrd);
    assert_true(mbi.flags & MBI_MMAP);
    assert_int_equal(mbi.mmap_length, 4 * 24);      /* with the ECAM window */
    struct multiboot_mmap e;
    memcpy(&e, gpa(f, mbi.mmap_addr + 2 * 24, sizeof(e)), sizeof(e));
    assert_int_equal(e.size, 20);
    assert_int_equal(e.addr, 0x100000);
    assert_int_equal(e.len, RAM - 0x100000);
    assert_int_equal(e.type, 1);

    /* A requirement vmon does not meet (video mode) is refused. */
    h.flags |= MB_VIDEO_MODE;
    h.checksum = 0u - (h.magic + h.flags);
    memcpy(img, &h, sizeof(h));
    write_file(f->kernel, img, sizeof(img));
    expect_error(f, "requires features");
    /* header_addr that does not match the header's place in the file */
    h.flags &= ~MB_VIDEO_MODE;
    h.header_addr = 0x100000 + 8192;
    h.checksum = 0u - (h.magic + h.flags);
    memcpy(img, &h, sizeof(h));
    write_file(f->kernel, img, sizeof(img));
    expect_error(f, "do not match");
}

/* An ELF image: one PT_LOAD of `code` at paddr/vaddr, and optionally a PT_NOTE with the PVH entry. */
static uint8_t *make_elf(bool is64, uint64_t paddr, uint64_t vaddr, uint64_t entry, uint32_t pvh,
                         const void *code, size_t clen, size_t *len)
{
    size_t note_off = 0x200, code_off = 0x1000;
    *len = code_off + clen;
    uint8_t *img = calloc(1, *len);
    uint8_t note[20] = { 4, 0, 0, 0, 4, 0, 0, 0, XEN_ELFNOTE_PHYS32_ENTRY, 0, 0, 0, 'X', 'e', 'n', 0 };
    memcpy(note + 16, &pvh, 4);
    memcpy(img + note_off, note, sizeof(note));
    memcpy(img + code_off, code, clen);
    int nph = pvh ? 2 : 1;
    if (is64) {
        Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                          .e_entry = entry, .e_phoff = sizeof(Elf64_Ehdr),
                          .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
                          .e_phnum = (uint16_t)nph };
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        Elf64_Phdr ph[2] = {
            { .p_type = PT_LOAD, .p_offset = code_off, .p_vaddr = vaddr, .p_paddr = paddr,
              .p_filesz = clen, .p_memsz = clen + 0x1000, .p_flags = PF_R | PF_X },
            { .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = sizeof(note) },
        };
        memcpy(img, &eh, sizeof(eh));
        memcpy(img + sizeof(eh), ph, nph * sizeof(ph[0]));
    } else {
        Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
                          .e_entry = (uint32_t)entry, .e_phoff = sizeof(Elf32_Ehdr),
                          .e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = sizeof(Elf32_Phdr),
                          .e_phnum = (uint16_t)nph };
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS32;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        Elf32_Phdr ph[2] = {
            { .p_type = PT_LOAD, .p_offset = (uint32_t)code_off, .p_vaddr = (uint32_t)vaddr,
              .p_paddr = (uint32_t)paddr, .p_filesz = (uint32_t)clen,
              .p_memsz = (uint32_t)clen + 0x1000, .p_flags = PF_R | PF_X },
            { .p_type = PT_NOTE, .p_offset = (uint32_t)note_off, .p_filesz = sizeof(note) },
        };
        memcpy(img, &eh, sizeof(eh));
        memcpy(img + sizeof(eh), ph, nph * sizeof(ph[0]));
    }
    return img;
}

static void test_elf_pvh(void **state)
{
    struct fixture *f = *state;
    uint8_t code[256];
    memset(code, 0x90, sizeof(code));
    size_t len;
    uint8_t *img = make_elf(true, 0x1000000, 0xffffffff81000000ull, 0x1000000, 0x1000010, code,
                            sizeof(code), &len);
    write_file(f->kernel, img, len);
    static uint8_t rd[3000];
    write_file(f->initrd, rd, sizeof(rd));
    f->vm->cfg.initrd = f->initrd;
    f->vm->cfg.cmdline = "pvh cmdline";
    assert_int_equal(boot_load(f->vm, f->err, sizeof(f->err)), 0);
    struct cpu_state *s = &f->vm->boot_state;
    assert_int_equal(s->rip, 0x1000010);
    assert_int_equal(s->cr0 & 0x80000001, 1);
    assert_int_equal(s->efer, 0);
    assert_memory_equal(gpa(f, 0x1000000, sizeof(code)), code, sizeof(code));
    struct hvm_start_info si;
    memcpy(&si, gpa(f, s->gpr[R_RBX], sizeof(si)), sizeof(si));
    assert_int_equal(si.magic, HVM_START_MAGIC);
    assert_int_equal(si.version, 1);
    assert_string_equal(gpa(f, si.cmdline_paddr, 12), "pvh cmdline");
    assert_int_equal(si.rsdp_paddr, BOOT_ACPI_ADDR);
    assert_int_equal(si.nr_modules, 1);
    struct hvm_modlist_entry mod;
    memcpy(&mod, gpa(f, si.modlist_paddr, sizeof(mod)), sizeof(mod));
    assert_int_equal(mod.size, sizeof(rd));
    assert_true(mod.paddr >= 0x1000000 + sizeof(code) + 0x1000);
    assert_int_equal(si.memmap_entries, 4);          /* with the ECAM window */
    struct hvm_memmap_entry e;
    memcpy(&e, gpa(f, si.memmap_paddr, sizeof(e)), sizeof(e));
    assert_int_equal(e.addr, 0);
    assert_int_equal(e.size, 0x9fc00);
    assert_int_equal(e.type, 1);
    free(img);

    /* The same as ELF32 (the note carries the entry either way). */
    img = make_elf(false, 0x200000, 0x200000, 0x200000, 0x200004, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    assert_int_equal(boot_load(f->vm, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->vm->boot_state.rip, 0x200004);
    free(img);
}

static void test_elf_64bit_entry(void **state)
{
    struct fixture *f = *state;
    uint8_t code[64] = { 0xf4 };
    size_t len;
    uint8_t *img = make_elf(true, 0x1000000, 0xffffffff81000000ull, 0xffffffff81000020ull, 0, code,
                            sizeof(code), &len);
    write_file(f->kernel, img, len);
    f->vm->cfg.cmdline = "root=/dev/vda";
    assert_int_equal(boot_load(f->vm, f->err, sizeof(f->err)), 0);
    struct cpu_state *s = &f->vm->boot_state;
    assert_int_equal(s->rip, 0x1000020);                 /* virtual entry -> physical */
    assert_int_equal(s->gpr[R_RSI], BOOT_ZERO_PAGE);
    assert_int_equal(s->seg[SEG_CS].l, 1);
    struct boot_params *bp = gpa(f, BOOT_ZERO_PAGE, 4096);
    assert_int_equal(bp->hdr.header, SETUP_HDRS_MAGIC);
    assert_int_equal(bp->hdr.type_of_loader, 0xff);
    assert_string_equal(gpa(f, bp->hdr.cmd_line_ptr, 14), "root=/dev/vda");
    assert_int_equal(bp->e820_entries, 4);           /* RAM, BIOS area, RAM, ECAM */
    free(img);

    /* A 32-bit ELF with neither a PVH note nor a multiboot header has no entry vmon knows. */
    img = make_elf(false, 0x200000, 0x200000, 0x200000, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    expect_error(f, "32-bit ELF without a PVH note");
    free(img);
    /* Below 1 MiB: between the zero page and the boot page tables it loads; on the page tables,
     * the command line or the EBDA it is refused, naming what it hits. */
    code[0] = 0xc3;
    img = make_elf(true, 0x10000, 0x10000, 0x10000, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    assert_int_equal(boot_load(f->vm, f->err, sizeof(f->err)), 0);
    assert_int_equal(*(uint8_t *)gpa(f, 0x10000, 1), 0xc3);
    assert_int_equal(f->vm->boot_state.rip, 0x10000);
    free(img);
    img = make_elf(true, 0x8000, 0x8000, 0x8000, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    expect_error(f, "overlaps vmon's boot page tables at 0x9000-0xf000");
    free(img);
    img = make_elf(true, 0x20000, 0x20000, 0x20000, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    expect_error(f, "overlaps vmon's command line");
    free(img);
    img = make_elf(true, 0x9f000, 0x9f000, 0x9f000, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    expect_error(f, "reserved EBDA and BIOS area");
    free(img);
    /* Segment past the end of RAM. */
    img = make_elf(true, RAM - 0x800, RAM - 0x800, RAM - 0x800, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, len);
    expect_error(f, "does not fit in RAM");
    free(img);
}

static void test_elf_truncated(void **state)
{
    struct fixture *f = *state;
    uint8_t code[64] = { 0 };
    size_t len;
    uint8_t *img = make_elf(true, 0x1000000, 0x1000000, 0x1000000, 0, code, sizeof(code), &len);
    write_file(f->kernel, img, 0x1000 + 10);             /* segment data cut short */
    expect_error(f, "truncated ELF");
    write_file(f->kernel, img, sizeof(Elf64_Ehdr) + 10); /* program headers cut short */
    expect_error(f, "truncated or malformed ELF program headers");
    write_file(f->kernel, img, 30);                      /* ELF header cut short */
    expect_error(f, "truncated ELF header");
    /* Every prefix of the image either loads or fails cleanly (no crash, no out-of-bounds read
     * under ASan). */
    for (size_t cut = 0; cut < len; cut += 97) {
        write_file(f->kernel, img, cut);
        int r = boot_load(f->vm, f->err, sizeof(f->err));
        assert_true(r == 0 || r == -1);
    }
    free(img);
}

/* Same for bzImage prefixes, with random bytes in the header too. */
static void test_bzimage_fuzz(void **state)
{
    struct fixture *f = *state;
    size_t len;
    uint8_t *img = make_bzimage(4096, 0x020f, XLF_KERNEL_64, &len);
    srand(1);
    for (int i = 0; i < 300; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, img, len);
        for (int k = 0; k < 4; k++)
            copy[SETUP_HEADER_OFFSET + rand() % 0x7b] = (uint8_t)rand();
        write_file(f->kernel, copy, i % 2 ? len : (size_t)rand() % len);
        int r = boot_load(f->vm, f->err, sizeof(f->err));
        assert_true(r == 0 || r == -1);
        free(copy);
    }
    free(img);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reject_garbage), T(test_reject_unreadable), T(test_reject_too_big),
        T(test_reject_bad_bzimage), T(test_bzimage_64), T(test_bzimage_realmode),
        T(test_multiboot_aout), T(test_elf_pvh), T(test_elf_64bit_entry), T(test_elf_truncated),
        T(test_bzimage_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
