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

static uint64_t ldt[2] __attribute__((aligned(8)));

static void load_fs(ulong sel)
{
    __asm__ volatile("movw %w0, %%fs" :: "r"(sel));
}

static void read_fs_at(ulong off)
{
    uint32_t v;
    __asm__ volatile("movl %%fs:(%1), %0" : "=r"(v) : "r"(off));
}

static void write_fs_at(ulong off)
{
    __asm__ volatile("movl %0, %%fs:(%1)" :: "r"(0x55555555u), "r"(off) : "memory");
}

static void read_ss_at(ulong off)
{
    uint32_t v;
    __asm__ volatile("movl %%ss:(%1), %0" : "=r"(v) : "r"(off));
}

static void read_ds_at(ulong off)
{
    uint32_t v;
    __asm__ volatile("movl %%ds:(%1), %0" : "=r"(v) : "r"(off));
}

static void read_cs_at(ulong off)
{
    uint32_t v;
    __asm__ volatile("movl %%cs:(%1), %0" : "=r"(v) : "r"(off));
}

static void write_cs_at(ulong off)
{
    __asm__ volatile("movl %0, %%cs:(%1)" :: "r"(0x55555555u), "r"(off) : "memory");
}

/* stosb through a null ES; the caller's ES is restored by run_catch's handler or here. */
static void stos_null_es(ulong dst)
{
    __asm__ volatile("pushl %%es; movw %w1, %%es; stosb; popl %%es"
                     : "+D"(dst) : "r"(0), "a"(0) : "memory");
}

/* A byte-granular 32-bit data or code descriptor with the given type (S=1, DPL 0, P). */
static uint64_t seg_desc(ulong base, uint32_t limit, unsigned type)
{
    return (limit & 0xffff) | ((uint64_t)(limit >> 16) << 48) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)(base >> 24) << 56) | ((uint64_t)(0x90 | type) << 40) | (1ull << 54);
}

/* Run fn(off) with FS loaded from descriptor d (in the spare GDT slot); a fault restores FS. */
static int fs_try(uint64_t d, void (*fn)(ulong), ulong off)
{
    gdt[SEL_SPARE0 >> 3] = d;
    load_fs(SEL_SPARE0);
    int v = run_catch(fn, off);
    load_fs(SEL_KDATA);
    return v;
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
    check_eq("es = null selector: stosb #GP", (ulong)run_catch(stos_null_es, (ulong)fs_buf), 13);
    check_eq("es = null selector: error code", last_exc.error, 0);
    check_eq("es = null selector: nothing written", fs_buf[0], 0x11111111);

    /* Type checks (SDM vol. 3, 5.4): read-only data, execute/read and execute-only code. */
    const uint64_t ro = seg_desc((ulong)fs_buf, 15, 0x1), xr = seg_desc((ulong)fs_buf, 15, 0xb);
    check_no_fault("read-only data segment: read", fs_try(ro, read_fs_at, 4));
    check_eq("read-only data segment: write #GP", (ulong)fs_try(ro, write_fs_at, 4), 13);
    check_eq("read-only data segment: error code", last_exc.error, 0);
    check_eq("read-only data segment: nothing written", fs_buf[1], 0x22222222);
    check_no_fault("execute/read code segment in fs: read", fs_try(xr, read_fs_at, 4));
    check_eq("execute/read code segment in fs: write #GP", (ulong)fs_try(xr, write_fs_at, 4), 13);
    gdt[SEL_SPARE0 >> 3] = seg_desc((ulong)fs_buf, 15, 0x9);
    check_eq("mov fs, an execute-only code segment: #GP", (ulong)run_catch(load_fs, SEL_SPARE0), 13);
    check_eq("execute-only code segment: error code = the selector", last_exc.error, SEL_SPARE0);
    check_no_fault("cs: override read (execute/read code segment)", run_catch(read_cs_at, 0x100000));
    check_eq("cs: override write: #GP", (ulong)run_catch(write_cs_at, (ulong)fs_buf), 13);

    /* Expand-down (SDM vol. 3, 3.4.5.1): offsets limit+1 .. 0xffffffff (B=1) are valid. The base
     * sits 0x1000 below fs_buf, so fs:0x1000 is fs_buf[0]. */
    const uint64_t ed = seg_desc((ulong)fs_buf - 0x1000, 0xfff, 0x7), ed16 = ed & ~(1ull << 54);
    check_no_fault("expand-down: fs:0x1004 (above the limit) reads", fs_try(ed, read_fs_at, 0x1004));
    check_eq("expand-down: fs:0xfff (at the limit) #GP", (ulong)fs_try(ed, read_fs_at, 0xfff), 13);
    check_eq("expand-down: fs:0xffe, a dword reaching above the limit: #GP",
             (ulong)fs_try(ed, read_fs_at, 0xffe), 13);
    check_eq("expand-down: fs:0 #GP", (ulong)fs_try(ed, read_fs_at, 0), 13);
    check_eq("expand-down: error code", last_exc.error, 0);
    /* With B=0 the upper bound is 0xffff. */
    check_eq("expand-down, B=0: fs:0xfffe, a dword past 64 KiB: #GP", (ulong)fs_try(ed16, read_fs_at, 0xfffe), 13);
    check_no_fault("expand-down, B=0: fs:0x1000 reads", fs_try(ed16, read_fs_at, 0x1000));
    load_fs(SEL_KDATA);

    /* The 4 GiB limit of a flat segment still bounds the last byte: #SS(0) through SS, #GP(0) else. */
    check_eq("ss:0xfffffffe, a dword past the 4 GiB limit: #SS", (ulong)run_catch(read_ss_at, 0xfffffffe), 12);
    check_eq("ss:0xfffffffe: error code", last_exc.error, 0);
    check_eq("ds:0xfffffffd, a dword past the 4 GiB limit: #GP", (ulong)run_catch(read_ds_at, 0xfffffffd), 13);
    gdt[SEL_SPARE0 >> 3] = 0;
    /* A CPU that let a faulting write through must not fail the later checks as well. */
    fs_buf[0] = 0x11111111;
    fs_buf[1] = 0x22222222;
}

/* The LDT: a GDT descriptor of type 2 loaded with lldt; selectors with TI=1 index it. */
static void test_ldt(void)
{
    const uint16_t ldt_sel = SEL_SPARE0 + 8, fs_sel = (1 << 3) | 4;
    ldt[1] = 0x0040920000000000ull | 15 | ((uint64_t)((ulong)fs_buf & 0xffffff) << 16) |
             ((uint64_t)((ulong)fs_buf >> 24) << 56);
    gdt[ldt_sel >> 3] = 0x0000820000000000ull | (sizeof(ldt) - 1) | ((uint64_t)((ulong)ldt & 0xffffff) << 16) |
                        ((uint64_t)((ulong)ldt >> 24) << 56);
    __asm__ volatile("lldt %w0" :: "r"(ldt_sel));
    uint16_t sel;
    __asm__ volatile("sldt %w0" : "=r"(sel));
    check_eq("lldt, then sldt", sel, ldt_sel);
    check_no_fault("mov fs, an LDT selector", run_catch(load_fs, fs_sel));
    uint32_t v;
    __asm__ volatile("movl %%fs:4, %0" : "=r"(v));
    check_eq("fs:4 through the LDT descriptor's base", v, 0x22222222);
    load_fs(SEL_KDATA);
    check_eq("mov fs, a selector beyond the LDT limit: #GP", (ulong)run_catch(load_fs, (2 << 3) | 4), 13);
    check_eq("beyond the LDT limit: error code = the selector (TI set)", last_exc.error, (2 << 3) | 4);
    __asm__ volatile("lldt %w0" :: "r"(0));
    check_eq("null LDT: mov fs, an LDT selector: #GP", (ulong)run_catch(load_fs, fs_sel), 13);
    check_eq("null LDT: error code = the selector", last_exc.error, fs_sel);
    load_fs(SEL_KDATA);
    gdt[ldt_sel >> 3] = 0;
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
    test_ldt();
}
