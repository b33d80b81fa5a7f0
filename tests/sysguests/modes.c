/* Mode switches (asm in modes-asm.S): a 16-bit protected-mode code segment, real mode and back, long
 * mode through compatibility mode, a far call from 64-bit to compatibility code, and back out to
 * legacy protected mode; segment loads with bases and limits in protected mode. */
#include "guest.h"

#define BLOB_BASE 0x8000
extern uint32_t mode_results[16];
extern char blob_start[], blob_end[];
extern uint32_t rm_ud_insn_off, rm_results_off;
uint32_t call_pm16(void);
void go_real(void);
void go_long(uint64_t *pml4);

static uint64_t pml4[512] __attribute__((aligned(4096))), pdpt[512] __attribute__((aligned(4096))),
    pd[512] __attribute__((aligned(4096)));
static uint32_t fs_buf[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };

static void read_fs_at(ulong off)
{
    uint32_t v;
    __asm__ volatile("movl %%fs:(%1), %0" : "=r"(v) : "r"(off));
}

static void test_pm16(void)
{
    uint32_t eax = call_pm16();
    check_eq("far call 32 -> 16-bit code segment: push %ax moves esp by", mode_results[0], 2);
    check_eq("lretl from the 16-bit segment back to 32-bit: eax", eax, 0x1616);
}

static void test_real(void)
{
    *(volatile uint16_t *)0x1275 = 0;
    go_real();
    volatile uint32_t *rm = (volatile uint32_t *)(BLOB_BASE + rm_results_off);
    check_eq("real mode: #UD through the IVT, pushed IP = the ud2", rm[0] & 0xffff, rm_ud_insn_off);
    check_eq("real mode: int $0x40 through the IVT", rm[1] & 0xffff, 0x4040);
    check_eq("real mode: 66-prefixed 32-bit mov", rm[2], 0x12345678);
    check_eq("real mode: 0x0123:0x0045 wrote linear 0x1275", *(volatile uint16_t *)0x1275, 0xbeef);
    check_eq("back in protected mode: CR0.PE", READ_CR(0) & CR0_PE, 1);
}

static void test_long(void)
{
    pml4[0] = (ulong)pdpt | 3;
    pdpt[0] = (ulong)pd | 3;
    for (unsigned i = 0; i < 512; i++)
        pd[i] = ((uint64_t)i << 21) | 0x83;
    go_long(pml4);
    check_eq("compatibility mode: EFER.LMA|LME", mode_results[5] & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME);
    check_eq("compatibility mode: cs", mode_results[13], SEL_KCODE);
    check_eq("compatibility mode: push moves esp by", mode_results[6], 4);
    check_eq("64-bit mode: cs", mode_results[12], SEL_KCODE64);
    check_eq("64-bit mode: high half of a movabs", mode_results[7], 0x12345678);
    check_eq("64-bit mode: push moves rsp by", mode_results[8], 8);
    check_eq("far call 64 -> compatibility code: pushed bytes (32-bit CS:EIP)", mode_results[10], 8);
    check_eq("far call 64 -> compatibility code and lret back: eax", mode_results[9], 0xc0de);
    check_eq("paging off in compatibility mode: EFER.LMA clear", mode_results[11] & (EFER_LMA | EFER_LME), 0);
    check_eq("legacy protected mode again: CR0.PG", READ_CR(0) >> 31, 0);
}

static void test_segments(void)
{
    uint16_t sel;
    /* A data segment based at fs_buf with a limit of 15 bytes (byte granular). */
    gdt[SEL_SPARE0 >> 3] = 0x0040920000000000ull | 15 | ((uint64_t)((ulong)fs_buf & 0xffffff) << 16) |
                           ((uint64_t)((ulong)fs_buf >> 24) << 56);
    __asm__ volatile("movw %w0, %%fs" :: "r"(SEL_SPARE0));
    __asm__ volatile("movw %%fs, %0" : "=r"(sel));
    check_eq("mov fs, then read fs back", sel, SEL_SPARE0);
    uint32_t v;
    __asm__ volatile("movl %%fs:8, %0" : "=r"(v));
    check_eq("fs:8 reads through the segment base", v, 0x33333333);
    __asm__ volatile("movl %%fs:12, %0" : "=r"(v));
    check_eq("fs:12, the last dword within the limit", v, 0x44444444);
    check_eq("fs:13, a dword crossing the limit: #GP", (ulong)run_catch(read_fs_at, 13), 13);
    check_eq("fs:13: error code", last_exc.error, 0);
    __asm__ volatile("movw %w0, %%fs" :: "r"(0));
    check_eq("fs = null selector: access #GP", (ulong)run_catch(read_fs_at, 0), 13);
    __asm__ volatile("movw %w0, %%fs" :: "r"(SEL_KDATA));
    gdt[SEL_SPARE0 >> 3] = 0;
}

void guest_main(void)
{
    puts_uart("modes: 16-bit protected mode, real mode, long and compatibility mode, segments\n");
    /* The 16-bit code runs at BLOB_BASE, in real mode and through selector 0x48 based there. */
    memcpy((void *)BLOB_BASE, blob_start, (size_t)(blob_end - blob_start));
    gdt[SEL_KCODE16 >> 3] = 0x00009a000000ffffull | ((uint64_t)BLOB_BASE << 16);
    gdt_reload();
    test_pm16();
    test_real();
    test_long();
    test_segments();
}
