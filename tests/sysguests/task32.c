/* Hardware task switching in 32-bit protected mode (SDM vol. 3, chapter 7): a far call to a TSS
 * (NT, back link, busy bits, CR0.TS, the saved EIP resuming the task), iret back, a call through a
 * task gate in the GDT, a far jmp to a TSS and back (no nesting: busy bits move), an interrupt and
 * an exception with an error code through task gates in the IDT, and a call to a busy TSS (#GP). */
#include "guest.h"

#define SEL_TSS2   SEL_SPARE0            /* 0x60: called task */
#define SEL_TGATE  (SEL_SPARE0 + 0x08)   /* 0x68: task gate to SEL_TSS2 */
#define SEL_TSS3   (SEL_SPARE0 + 0x10)   /* 0x70: jumped-to task */
#define SEL_TSS4   (SEL_SPARE0 + 0x18)   /* 0x78: #GP handler task */
#define TSS_SIZE   104

static uint8_t tss2[TSS_SIZE] __attribute__((aligned(16))), tss3[TSS_SIZE] __attribute__((aligned(16))),
    tss4[TSS_SIZE] __attribute__((aligned(16)));
static uint8_t stack2[4096] __attribute__((aligned(16))), stack3[4096] __attribute__((aligned(16))),
    stack4[4096] __attribute__((aligned(16)));
volatile ulong t2_runs, t2_tr, t2_flags, t2_cr0, t3_runs, t3_tr, t3_flags, t3_tss1_type, t4_err, t4_runs;

__asm__(
    ".text\n"
    /* Task 2: record, then iret to the caller task; the next call resumes after the iret. */
    "task2_entry:\n"
    "  str %ax; movzwl %ax, %eax; movl %eax, t2_tr\n"
    "  pushfl; popl t2_flags; movl %cr0, %eax; movl %eax, t2_cr0; incl t2_runs\n"
    "  iret\n"
    "task2_after_iret: jmp task2_entry\n"
    /* Task 3: entered by jmp; records and jumps back to the first task. */
    "task3_entry:\n"
    "  str %ax; movzwl %ax, %eax; movl %eax, t3_tr; pushfl; popl t3_flags\n"
    "  movzbl gdt+0x35, %eax; movl %eax, t3_tss1_type; incl t3_runs\n"
    "  ljmp $0x30, $0\n"
    "  jmp task3_entry\n"
    /* Task 4: #GP through a task gate: the error code is on its stack; the faulting instruction
     * (2 bytes) is skipped in the interrupted task's saved EIP before returning to it. */
    "task4_entry:\n"
    "  popl %eax; movl %eax, t4_err; incl t4_runs\n"
    "  movl tss1_base, %eax; addl $2, 0x20(%eax)\n"
    "  iret\n"
    "  jmp task4_entry\n"
    "gp_probe: movl $0x7ff8, %eax\n"
    "gp_insn: movw %ax, %ds\n"                  /* beyond the GDT: #GP(0x7ff8) */
    "  ret\n"
    "busy_probe: lcall $0x30, $0\n ret\n"
    "tss3_probe: lcall $0x70, $0\n ret\n");
void task2_entry(void), task3_entry(void), task4_entry(void), gp_probe(ulong), busy_probe(ulong), tss3_probe(ulong);
extern char task2_after_iret[];
ulong tss1_base;

static uint64_t tss_desc(ulong base)
{
    uint32_t limit = TSS_SIZE - 1;
    return limit | ((uint64_t)(base & 0xffffff) << 16) | (0x89ull << 40) | ((uint64_t)(base >> 24) << 56);
}

static void tss_setup(uint8_t *t, void (*entry)(void), uint8_t *stack)
{
    memset_g(t, 0, TSS_SIZE);
    uint32_t v[] = { (uint32_t)READ_CR(3), (uint32_t)(ulong)entry, 2 };
    memcpy(t + 0x1c, v, sizeof(v));
    uint32_t esp = (uint32_t)(ulong)(stack + 4096);
    memcpy(t + 0x38, &esp, 4);
    uint32_t segs[6] = { SEL_KDATA, SEL_KCODE, SEL_KDATA, SEL_KDATA, SEL_KDATA, SEL_KDATA };
    memcpy(t + 0x48, segs, sizeof(segs));
    uint16_t iomap = TSS_SIZE;
    memcpy(t + 0x66, &iomap, 2);
}

static uint16_t str(void)
{
    uint16_t s;
    __asm__ volatile("str %0" : "=r"(s));
    return s;
}

static unsigned gdt_type(uint16_t sel) { return (unsigned)(gdt[sel >> 3] >> 40) & 0xff; }

static void test_call_iret(void)
{
    __asm__ volatile("lcall $0x60, $0" ::: "memory");
    check_eq("call to a TSS: the task ran", t2_runs, 1);
    check_eq("call to a TSS: TR in the new task", t2_tr, SEL_TSS2);
    check_eq("call to a TSS: NT set in the new task", t2_flags & FL_NT, FL_NT);
    check_eq("call to a TSS: CR0.TS set by the switch", t2_cr0 & 8, 8);
    check_eq("call to a TSS: back link = the caller's TSS", *(volatile uint16_t *)tss2, SEL_TSS);
    check_eq("iret with NT: back in the first task (TR)", str(), SEL_TSS);
    check_eq("iret with NT: NT clear again", read_flags() & FL_NT, 0);
    check_eq("iret with NT: the returning TSS is available again", gdt_type(SEL_TSS2), 0x89);
    check_eq("iret with NT: the caller's TSS is still busy", gdt_type(SEL_TSS), 0x8b);
    uint32_t eip2;
    memcpy(&eip2, tss2 + 0x20, 4);
    check_eq("iret: the task's EIP saved after its iret", eip2 - (ulong)task2_after_iret, 0);
    __asm__ volatile("clts");
    __asm__ volatile("lcall $0x60, $0" ::: "memory");
    check_eq("second call: the task resumed at its saved EIP", t2_runs, 2);
    __asm__ volatile("lcall $0x68, $0" ::: "memory");
    check_eq("call through a task gate in the GDT", t2_runs, 3);
    check_eq("call to the busy current TSS: #GP", (ulong)run_catch(busy_probe, 0), 13);
    check_eq("call to the busy current TSS: error code", last_exc.error, SEL_TSS);
    /* The new TSS's checks (SDM vol. 3, 7.3): present (#NP), a limit of at least 0x67 (#TS). */
    gdt[SEL_TSS3 >> 3] = tss_desc((ulong)tss3) & ~(1ull << 47);
    check_eq("call to a not-present TSS: #NP", (ulong)run_catch(tss3_probe, 0), 11);
    check_eq("call to a not-present TSS: error code", last_exc.error, SEL_TSS3);
    gdt[SEL_TSS3 >> 3] = (tss_desc((ulong)tss3) & ~0xffffull) | 0x60;
    check_eq("call to a TSS with limit 0x60: #TS", (ulong)run_catch(tss3_probe, 0), 10);
    check_eq("call to a TSS with limit 0x60: error code", last_exc.error, SEL_TSS3);
    check_eq("the failed calls left TR alone", str(), SEL_TSS);
    gdt[SEL_TSS3 >> 3] = tss_desc((ulong)tss3);
    __asm__ volatile("clts");
}

static void test_jmp(void)
{
    __asm__ volatile("ljmp $0x70, $0" ::: "memory");
    check_eq("jmp to a TSS: the task ran", t3_runs, 1);
    check_eq("jmp to a TSS: TR in the new task", t3_tr, SEL_TSS3);
    check_eq("jmp to a TSS: NT clear (no nesting)", t3_flags & FL_NT, 0);
    check_eq("jmp to a TSS: the old TSS became available", t3_tss1_type, 0x89);
    check_eq("jmp back: TR", str(), SEL_TSS);
    check_eq("jmp back: the first TSS busy again", gdt_type(SEL_TSS), 0x8b);
    check_eq("jmp back: the jumped-from TSS available", gdt_type(SEL_TSS3), 0x89);
    check_eq("jmp: no back link written", *(volatile uint16_t *)tss3, 0);
    __asm__ volatile("clts");
}

static void test_idt_gates(void)
{
    /* int $0x90 through an IDT task gate to task 2 (DPL 0), which irets back. */
    idt_set(0x90, 0, 0, 0, 0x5);
    idt_set_selector(0x90, SEL_TSS2);
    __asm__ volatile("int $0x90" ::: "memory");
    check_eq("int through an IDT task gate: the task ran", t2_runs, 4);
    check_eq("int through an IDT task gate: back in the first task", str(), SEL_TSS);
    /* #GP through a task gate: its error code on the new task's stack. */
    idt_set(13, 0, 0, 0, 0x5);
    idt_set_selector(13, SEL_TSS4);
    gp_probe(0);
    idt_set(13, idt_stub(13), 0, 0, 0xe);
    check_eq("#GP through a task gate: the handler task ran", t4_runs, 1);
    check_eq("#GP through a task gate: error code pushed on its stack", t4_err, 0x7ff8);
    check_eq("#GP through a task gate: back in the first task", str(), SEL_TSS);
    __asm__ volatile("movw %w0, %%ds" :: "r"(SEL_KDATA));
    __asm__ volatile("clts");
}

void guest_main(void)
{
    puts_uart("task32: task switches by call, iret, jmp, task gates in the GDT and IDT\n");
    tss1_base = gdt[SEL_TSS >> 3] >> 16 & 0xffffff;
    tss1_base |= (ulong)(gdt[SEL_TSS >> 3] >> 56) << 24;
    tss_setup(tss2, task2_entry, stack2);
    tss_setup(tss3, task3_entry, stack3);
    tss_setup(tss4, task4_entry, stack4);
    gdt[SEL_TSS2 >> 3] = tss_desc((ulong)tss2);
    gdt[SEL_TGATE >> 3] = ((uint64_t)SEL_TSS2 << 16) | (0x85ull << 40);
    gdt[SEL_TSS3 >> 3] = tss_desc((ulong)tss3);
    gdt[SEL_TSS4 >> 3] = tss_desc((ulong)tss4);
    check_eq("the first task's TSS is busy after ltr", gdt_type(SEL_TSS), 0x8b);
    test_call_iret();
    test_jmp();
    test_idt_gates();
    for (unsigned k = SEL_TSS2 >> 3; k <= SEL_TSS4 >> 3; k++)
        gdt[k] = 0;
}
