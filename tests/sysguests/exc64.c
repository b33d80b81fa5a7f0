/* Exceptions in 64-bit mode: vectors, error codes, the interrupt frame (SDM vol. 3 6.14: RSP aligned
 * to 16, SS:RSP always pushed), fault vs trap return addresses, IST stacks, #DF from a fault while
 * delivering #PF, single-step #DB, and iretq. */
#include "guest.h"

ulong probe_rsp;   /* RSP just before each probe's faulting instruction */
uint64_t ss_not_present_target;

/* Each probe saves RSP, then executes one faulting instruction at <name>_insn. */
__asm__(
    ".text\n"
    "de_probe: xorl %edx, %edx; movl $1, %eax; xorl %ecx, %ecx; movq %rsp, probe_rsp(%rip)\n"
    "de_insn: divl %ecx\n ret\n"
    "de_ovf_probe: movq $0x8000000000000000, %rax; cqto; movq $-1, %rcx; movq %rsp, probe_rsp(%rip)\n"
    "de_ovf_insn: idivq %rcx\n ret\n"
    "ud2_probe: movq %rsp, probe_rsp(%rip)\n"
    "ud2_insn: ud2\n ret\n"
    "lock_probe: movq %rsp, probe_rsp(%rip)\n"
    "lock_insn: .byte 0xf0, 0x90\n ret\n"                  /* lock nop */
    "into_probe: movq %rsp, probe_rsp(%rip)\n"
    "into_insn: .byte 0xce\n ret\n"                        /* into: invalid in 64-bit mode */
    "int3_value: \n"
    "int3_probe: movq $0x1234, %rax; movq %rsp, probe_rsp(%rip)\n"
    "int3_insn: int3\n int3_next: ret\n"
    "int_3_probe: movq %rsp, probe_rsp(%rip)\n"
    "int_3_insn: int $3\n int_3_next: ret\n"
    "seg_probe: movq %rsp, probe_rsp(%rip)\n"
    "seg_insn: movw %di, %ds\n ret\n"
    "ss_probe: movq %rsp, probe_rsp(%rip)\n"
    "ss_insn: movw %di, %ss\n movw $0x10, %ax; movw %ax, %ss; ret\n"
    "noncanon_probe: movq %rsp, probe_rsp(%rip)\n"
    "noncanon_insn: movq (%rdi), %rax\n ret\n"
    "noncanon_stack_probe: pushq %rbp; movq %rdi, %rbp; movq %rsp, probe_rsp(%rip)\n"
    "noncanon_stack_insn: movq 8(%rbp), %rax\n popq %rbp; ret\n"
    "intn_probe: movq %rsp, probe_rsp(%rip)\n"
    "intn_insn: int $0x42\n ret\n"
    "pf_probe: movq %rsp, probe_rsp(%rip)\n"
    "pf_insn: movb (%rdi), %al\n ret\n"
    /* Single step: TF set by popf traps after the instruction that follows popf completes. */
    "tf_probe: pushfq; orq $0x100, (%rsp); movq %rsp, probe_rsp(%rip); addq $8, probe_rsp(%rip); popfq\n"
    "tf_insn1: movl $1, %eax\n tf_insn2: movl $2, %eax\n"
    "  pushfq; andq $~0x100, (%rsp); popfq; ret\n"
    "movss_probe: movw %ss, %ax; pushfq; orq $0x100, (%rsp); popfq\n"
    "  movw %ax, %ss\n movss_next1: nop\n movss_next2: nop\n"
    "  pushfq; andq $~0x100, (%rsp); popfq; ret\n"
    /* iretq to a new RSP and RFLAGS, same privilege level. */
    "iretq_probe: movq %rsp, %rax; movq %rdi, %rsp; pushq $0x10; pushq %rdi; pushq $0x203 & ~0x200 | 0x801; \n"
    "  pushq $0x08; leaq 1f(%rip), %rcx; pushq %rcx; iretq\n"
    "1: pushfq; popq %rdx; movq %rdx, iretq_flags(%rip); movq %rsp, iretq_rsp(%rip); movq %rax, %rsp\n"
    "  pushq $0x2; popfq; ret\n");
ulong int3_value(void);
void de_probe(ulong), de_ovf_probe(ulong), ud2_probe(ulong), lock_probe(ulong), into_probe(ulong),
    int3_probe(ulong), int_3_probe(ulong), seg_probe(ulong), ss_probe(ulong), noncanon_probe(ulong),
    noncanon_stack_probe(ulong), intn_probe(ulong), pf_probe(ulong), tf_probe(ulong), iretq_probe(ulong),
    movss_probe(ulong);
extern char de_insn[], de_ovf_insn[], ud2_insn[], lock_insn[], into_insn[], int3_insn[], int3_next[],
    int_3_insn[], int_3_next[], seg_insn[], ss_insn[], noncanon_insn[], noncanon_stack_insn[], intn_insn[],
    pf_insn[], tf_insn1[], tf_insn2[], movss_next2[];
ulong iretq_flags, iretq_rsp;

static uint8_t iretq_stack[64] __attribute__((aligned(16)));

/* Checks the vector, then the error code and the frame the CPU pushed: the faulting (or, for traps,
 * the next) RIP, CS and SS, the interrupted RSP, and the 16-byte alignment of the new stack. */
static void expect_exception(const char *what, int vec, int got_vec, ulong error, ulong ip)
{
    check_eq(cat(what, ": vector"), (ulong)got_vec, (ulong)vec);
    check_eq(cat(what, ": error code"), last_exc.error, error);
    check_eq(cat(what, ": frame rip - expected"), last_exc.ip - ip, 0);
    check_eq(cat(what, ": frame cs:ss"), last_exc.cs << 16 | last_exc.ss, (ulong)SEL_KCODE << 16 | SEL_KDATA);
    check_eq(cat(what, ": frame rsp - interrupted rsp"), last_exc.sp - probe_rsp, 0);
    check_eq(cat(what, ": frame end mod 16"), (last_exc.handler_sp + sizeof(struct frame)) % 16, 0);
}

static void test_faults(void)
{
    expect_exception("#DE div by zero", 0, run_catch(de_probe, 0), 0, (ulong)de_insn);
    expect_exception("#DE idiv overflow", 0, run_catch(de_ovf_probe, 0), 0, (ulong)de_ovf_insn);
    expect_exception("#UD ud2", 6, run_catch(ud2_probe, 0), 0, (ulong)ud2_insn);
    expect_exception("#UD lock nop", 6, run_catch(lock_probe, 0), 0, (ulong)lock_insn);
    expect_exception("#UD into in 64-bit mode", 6, run_catch(into_probe, 0), 0, (ulong)into_insn);
    expect_exception("#BP int3 (trap)", 3, run_catch(int3_probe, 0), 0, (ulong)int3_next);
    expect_exception("#BP int $3 (trap)", 3, run_catch(int_3_probe, 0), 0, (ulong)int_3_next);
    /* Segment loads (SDM vol. 2, MOV: "IF DS, ES, FS, or GS is loaded with non-NULL selector"). */
    expect_exception("#GP mov ds, selector beyond the GDT limit", 13, run_catch(seg_probe, 0x88), 0x88,
                     (ulong)seg_insn);
    expect_exception("#GP mov ds, TSS selector", 13, run_catch(seg_probe, SEL_TSS), SEL_TSS, (ulong)seg_insn);
    expect_exception("#GP mov ds, DPL 0 data with RPL 3", 13, run_catch(seg_probe, SEL_KDATA | 3), SEL_KDATA,
                     (ulong)seg_insn);
    gdt[SEL_SPARE0 >> 3] = 0x00cf98000000ffffull;   /* code, execute-only */
    expect_exception("#GP mov ds, execute-only code segment", 13, run_catch(seg_probe, SEL_SPARE0), SEL_SPARE0,
                     (ulong)seg_insn);
    gdt[SEL_SPARE0 >> 3] = 0x00cf12000000ffffull;   /* data, P=0 */
    expect_exception("#NP mov ds, not-present segment", 11, run_catch(seg_probe, SEL_SPARE0), SEL_SPARE0,
                     (ulong)seg_insn);
    expect_exception("#SS mov ss, not-present segment", 12, run_catch(ss_probe, SEL_SPARE0), SEL_SPARE0,
                     (ulong)ss_insn);
    gdt[SEL_SPARE0 >> 3] = 0;
    check_no_fault("mov ss, null selector at CPL 0 in 64-bit mode: no fault", run_catch(ss_probe, 0));
    expect_exception("#GP non-canonical data address", 13, run_catch(noncanon_probe, 0x8000000000000000ull), 0,
                     (ulong)noncanon_insn);
    expect_exception("#SS non-canonical address through rbp", 12,
                     run_catch(noncanon_stack_probe, 0xffff000000000000ull), 0, (ulong)noncanon_stack_insn);
    idt_set_present(0x42, 0);
    expect_exception("#NP int $0x42 through a not-present gate", 11, run_catch(intn_probe, 0), 0x42 * 8 + 2,
                     (ulong)intn_insn);
    idt_set_present(0x42, 1);
    expect_exception("#PF read of an unmapped address", 14, run_catch(pf_probe, 0x40000000), 0, (ulong)pf_insn);
    check_eq("#PF read of an unmapped address: cr2", last_exc.cr2, 0x40000000);
}

static int bp_hook_calls;
static void bp_hook(struct frame *f)
{
    bp_hook_calls++;
    f->rax = 0x5678;   /* what the interrupted code sees in rax after iretq */
}

static ulong db_ips[4];
static int db_count;
static void db_hook(struct frame *f)
{
    if (db_count < 4)
        db_ips[db_count] = f->ip;
    db_count++;
    f->flags &= ~(ulong)FL_TF;
}

static void test_return_and_stacks(void)
{
    /* A handler that returns: iretq resumes after int3 with the registers the handler left. */
    exc_set_hook(3, bp_hook);
    ulong rax = int3_value();
    exc_set_hook(3, 0);
    check_eq("#BP handler returns with iretq: rax set by the handler", rax, 0x5678);
    check_eq("#BP handler ran once", bp_hook_calls, 1);

    /* IST: the gate's IST index makes the CPU switch stacks even without a privilege change. */
    tss_set_ist(1, (ulong)ist_stack1 + IST_STACK_SIZE);
    idt_set(3, idt_stub(3), 0, 1, 0xe);
    expect_exception("#BP through IST1", 3, run_catch(int3_probe, 0), 0, (ulong)int3_next);
    check("#BP through IST1: handler frame on the IST1 stack",
          last_exc.handler_sp >= (ulong)ist_stack1 && last_exc.handler_sp < (ulong)ist_stack1 + IST_STACK_SIZE);
    check_eq("#BP through IST1: frame end - IST1 top", last_exc.handler_sp + sizeof(struct frame) -
             ((ulong)ist_stack1 + IST_STACK_SIZE), 0);
    idt_set(3, idt_stub(3), 0, 0, 0xe);

    /* #DF: #PF whose delivery faults (its IST stack is unmapped) becomes a double fault (SDM 6.15,
     * table 6-5: page fault then page fault). #DF runs on IST2; its saved RIP is undefined. */
    tss_set_ist(2, (ulong)ist_stack2 + IST_STACK_SIZE);
    tss_set_ist(3, 0x80001000);
    idt_set(8, idt_stub(8), 0, 2, 0xe);
    idt_set(14, idt_stub(14), 0, 3, 0xe);
    int v = run_catch(pf_probe, 0x40000000);
    idt_set(14, idt_stub(14), 0, 0, 0xe);
    check_eq("#PF delivery faulting on an unmapped IST stack: #DF", (ulong)v, 8);
    check_eq("#DF error code", last_exc.error, 0);
    check_eq("#DF frame end - IST2 top", last_exc.handler_sp + sizeof(struct frame) -
             ((ulong)ist_stack2 + IST_STACK_SIZE), 0);
    opt_check_eq("#DF: cr2 of the fault on the #PF stack", last_exc.cr2, 0x80001000 - 8);

    /* Single step: popf sets TF; the instruction after it completes, then #DB (trap) with DR6.BS. */
    __asm__ volatile("mov %0, %%dr6" :: "r"(0ul));
    exc_set_hook(1, db_hook);
    tf_probe(0);
    exc_set_hook(1, 0);
    check_eq("TF single step: one #DB", db_count, 1);
    check_eq("TF single step: #DB rip after the stepped instruction", db_ips[0] - (ulong)tf_insn2, 0);
    ulong dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    check_eq("TF single step: DR6.BS", dr6 & 0x4000, 0x4000);

    /* mov ss blocks debug traps until after the next instruction (SDM vol. 3, 6.8.3): the single-step
     * trap of the mov ss is delivered after the following instruction, once. */
    db_count = 0;
    exc_set_hook(1, db_hook);
    movss_probe(0);
    exc_set_hook(1, 0);
    check_eq("TF over mov ss: one #DB", db_count, 1);
    check_eq("TF over mov ss: #DB after the instruction following mov ss", db_ips[0] - (ulong)movss_next2, 0);

    /* iretq at the same privilege level still pops SS:RSP, and loads RFLAGS as given. */
    ulong top = (ulong)iretq_stack + sizeof(iretq_stack) - 8;
    iretq_probe(top);
    check_eq("iretq loads rflags (CF|OF)", iretq_flags & 0xcd5, 0x801);
    check_eq("iretq loads rsp exactly (no alignment): rsp - expected", iretq_rsp - top, 0);
}

void guest_main(void)
{
    puts_uart("exc64: exceptions, error codes, frames, IST, #DF, #DB, iretq\n");
    test_faults();
    test_return_and_stacks();
}
