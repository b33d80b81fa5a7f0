/* The CPU state each kind of kernel entry expects, as a boot loader leaves it: real mode at a
 * segment (the boot protocol's setup entry), flat 32-bit protected mode with paging off (multiboot,
 * PVH), or 64-bit long mode on identity-mapped page tables (the 64-bit boot protocol). The GDT and
 * page tables these point at are written into guest RAM at the fixed low addresses of loader.h. */
#include <string.h>

#include "machine/accel.h"
#include "boot/loader.h"
#include "machine/vm.h"

#define CR0_PE   (1ull << 0)
#define CR0_ET   (1ull << 4)
#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define APIC_BASE_BSP    (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)

#define PTE_P  0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull         /* in a PD entry: a 2 MiB page */

/* GDT descriptors (SDM vol. 3, 3.4.5): base 0, limit 0xfffff in 4 KiB units, present, DPL 0. */
#define DESC_CODE64 0x00af9b000000ffffull   /* type 0xb execute/read accessed, L=1 */
#define DESC_CODE32 0x00cf9b000000ffffull   /* D=1 */
#define DESC_DATA   0x00cf93000000ffffull   /* type 0x3 read/write accessed, D/B=1 */

static struct seg_state flat_seg(uint16_t sel, uint8_t type, uint8_t l, uint8_t db)
{
    return (struct seg_state){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
                               .s = 1, .dpl = 0, .present = 1, .l = l, .db = db, .g = 1 };
}

/* What every entry shares: RFLAGS bit 1, an enabled local APIC (BSP), and TR/LDTR in the state a
 * VM entry accepts (a busy TSS, an LDT), though the kernel never uses them before loading its own. */
static void common(struct cpu_state *s)
{
    s->rflags = 0x2;
    s->apic_base = LAPIC_ADDR | APIC_BASE_BSP | APIC_BASE_ENABLE;
    s->seg[SEG_TR] = (struct seg_state){ .limit = 0xffff, .type = 11, .present = 1 };
    s->seg[SEG_LDTR] = (struct seg_state){ .limit = 0xffff, .type = 2, .present = 1 };
}

static int write_gdt(struct boot_ctx *ctx, struct cpu_state *s, uint64_t code)
{
    const uint64_t gdt[4] = { 0, 0, code, DESC_DATA };   /* selectors 0x10 code, 0x18 data */
    s->gdt.base = BOOT_GDT_ADDR;
    s->gdt.limit = sizeof(gdt) - 1;
    return boot_copy(ctx, BOOT_GDT_ADDR, gdt, sizeof(gdt), "GDT");
}

int boot_entry_real(struct boot_ctx *ctx, struct cpu_state *s, uint16_t seg, uint16_t ip, uint16_t sp)
{
    (void)ctx;
    memset(s, 0, sizeof(*s));
    common(s);
    /* Real-mode segments: base = selector * 16, 64 KiB limit; the data segments all equal the
     * setup's base (boot.rst "Running the kernel"), code is seg:ip. */
    for (int i = SEG_ES; i <= SEG_GS; i++)
        s->seg[i] = (struct seg_state){ .base = (uint64_t)seg << 4, .limit = 0xffff, .selector = seg,
                                        .type = 3, .s = 1, .present = 1 };
    uint16_t cs = (uint16_t)(seg + (ip >> 4));
    s->seg[SEG_CS] = (struct seg_state){ .base = (uint64_t)cs << 4, .limit = 0xffff, .selector = cs,
                                         .type = 0xb, .s = 1, .present = 1 };
    s->rip = ip & 0xf;
    s->gpr[R_RSP] = sp;
    s->idt.limit = 0x3ff;      /* the real-mode interrupt vector table at 0 */
    s->gdt.limit = 0xffff;
    s->cr0 = CR0_ET;
    return 0;
}

int boot_entry_prot32(struct boot_ctx *ctx, struct cpu_state *s, uint32_t eip)
{
    memset(s, 0, sizeof(*s));
    common(s);
    if (write_gdt(ctx, s, DESC_CODE32) < 0)
        return -1;
    s->seg[SEG_CS] = flat_seg(BOOT_CS, 0xb, 0, 1);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            s->seg[i] = flat_seg(BOOT_DS, 0x3, 0, 1);
    s->rip = eip;
    s->cr0 = CR0_PE | CR0_ET;
    return 0;
}

int boot_entry_long64(struct boot_ctx *ctx, struct cpu_state *s, uint64_t rip)
{
    memset(s, 0, sizeof(*s));
    common(s);
    if (write_gdt(ctx, s, DESC_CODE64) < 0)
        return -1;
    /* Identity-map the first 4 GiB with 2 MiB pages: RAM below the PCI hole and the APIC/IOAPIC/HPET
     * windows above it, so a kernel can touch all of them before it builds its own tables. */
    uint64_t *pml4 = guest_mem_hva(&ctx->vm->mem, BOOT_PML4_ADDR, BOOT_PD_ADDR + 4 * 4096 - BOOT_PML4_ADDR);
    if (!pml4)
        return boot_fail(ctx, "RAM too small for the boot page tables");
    uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;
    memset(pml4, 0, BOOT_PD_ADDR + 4 * 4096 - BOOT_PML4_ADDR);
    pml4[0] = BOOT_PDPT_ADDR | PTE_P | PTE_RW;
    for (int i = 0; i < 4; i++)
        pdpt[i] = (BOOT_PD_ADDR + 4096ull * i) | PTE_P | PTE_RW;
    for (int i = 0; i < 4 * 512; i++)
        pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
    s->seg[SEG_CS] = flat_seg(BOOT_CS, 0xb, 1, 0);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            s->seg[i] = flat_seg(BOOT_DS, 0x3, 0, 1);
    s->rip = rip;
    s->cr3 = BOOT_PML4_ADDR;
    s->cr4 = CR4_PAE;
    s->cr0 = CR0_PE | CR0_ET | CR0_PG;
    s->efer = EFER_LME | EFER_LMA;
    return 0;
}

int boot_entry_reset(struct cpu_state *s)
{
    /* The state after RESET (SDM vol. 3, 10.1.1, table 10-1): real mode, CS 0xf000 with base
     * 0xffff0000 so the first fetch is at 0xfffffff0 in the ROM, caches disabled. */
    memset(s, 0, sizeof(*s));
    common(s);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        s->seg[i] = (struct seg_state){ .limit = 0xffff, .type = 3, .s = 1, .present = 1 };
    s->seg[SEG_CS] = (struct seg_state){ .base = 0xffff0000, .limit = 0xffff, .selector = 0xf000,
                                         .type = 0xb, .s = 1, .present = 1 };
    s->rip = 0xfff0;
    s->gpr[R_RDX] = 0x600;     /* family 6: the processor signature RESET leaves in EDX */
    s->idt.limit = 0x3ff;
    s->gdt.limit = 0xffff;
    s->cr0 = CR0_ET | (1ull << 29) | (1ull << 30);   /* ET, NW, CD */
    return 0;
}
