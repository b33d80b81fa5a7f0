/* Ring 3 in 64-bit mode: iretq to CPL 3 and back through a DPL-3 gate, syscall/sysret (STAR, LSTAR,
 * SFMASK, RCX/R11) with swapgs and KERNEL_GS_BASE, privileged instructions and DPL-0 gates from ring 3
 * (#GP), user accesses to supervisor / not-present / NX pages (#PF error codes with the U bit), #AC. */
#include "guest.h"

#define SUPER_PAGE   0x00800000ul   /* a 2 MiB page made supervisor-only */
#define ABSENT_PAGE  0x00a00000ul   /* a 2 MiB page made not-present */
#define NX_PAGE      0x00c00000ul   /* a 2 MiB page made no-execute */
#define SFMASK_BITS  (FL_DF | FL_AC | FL_TF)
#define GS_MAGIC_KERNEL 0x4b65724e656c4753ull
#define GS_MAGIC_USER   0x5573657247534253ull

extern uint64_t boot_pd[512];

/* What the syscall entry saw, and what ring 3 saw after sysret (filled by the asm below). */
struct percpu { ulong kstack, user_rsp, magic; } percpu = { 0, 0, GS_MAGIC_KERNEL };
uint64_t user_gs_area[1] = { GS_MAGIC_USER };
ulong sc_rcx, sc_r11, sc_flags, sc_cs, sc_ss, sc_gs_magic, sc_rsp;
ulong u_result, u_rcx, u_r11, u_flags, u_cs, u_ss, u_gs_magic, u_rsp_before, u_rsp_after;
static uint8_t syscall_stack[4096] __attribute__((aligned(16)));

__asm__(
    ".text\n"
    /* Kernel side: swapgs to reach the per-CPU area, switch stacks, answer rax = rdi + 1. */
    "syscall_entry:\n"
    "  swapgs\n"
    "  movq %rsp, %gs:8\n"
    "  movq %gs:0, %rsp\n"
    "  movq %rcx, sc_rcx(%rip); movq %r11, sc_r11(%rip)\n"
    "  pushfq; popq sc_flags(%rip)\n"
    "  movq %cs, %rdx; movq %rdx, sc_cs(%rip); movq %ss, %rdx; movq %rdx, sc_ss(%rip)\n"
    "  movq %gs:16, %rdx; movq %rdx, sc_gs_magic(%rip)\n"
    "  movq %gs:8, %rdx; movq %rdx, sc_rsp(%rip)\n"
    "  leaq 1(%rdi), %rax\n"
    "  movq %gs:8, %rsp\n"
    "  swapgs\n"
    "  sysretq\n"
    /* User side: syscall with DF set (SFMASK clears it in the kernel, R11 brings it back). */
    "user_syscall:\n"
    "  pushq %rbx\n"
    "  movq %rsp, u_rsp_before(%rip)\n"
    "  movl $42, %edi; movl $7, %eax\n"
    "  std\n"
    "sc_insn: syscall\n"
    "sc_next:\n"
    "  pushfq; popq u_flags(%rip)\n"
    "  cld\n"
    "  movq %rsp, u_rsp_after(%rip)\n"
    "  movq %rax, u_result(%rip); movq %rcx, u_rcx(%rip); movq %r11, u_r11(%rip)\n"
    "  movq %cs, %rdx; movq %rdx, u_cs(%rip); movq %ss, %rdx; movq %rdx, u_ss(%rip)\n"
    "  movq %gs:0, %rdx; movq %rdx, u_gs_magic(%rip)\n"
    "  popq %rbx; ret\n"
    /* int $0x81 through a DPL-3 gate; the handler answers in rax. */
    "user_int81:\n"
    "  movq %rsp, u_rsp_before(%rip)\n"
    "  movl $100, %eax\n"
    "int81_insn: int $0x81\n"
    "int81_next: movq %rax, u_result(%rip)\n"
    "  movq %cs, %rdx; movq %rdx, u_cs(%rip)\n"
    "  ret\n"
    "user_int82:\n"
    "int82_insn: int $0x82\n ret\n"
    "user_hlt:\n"
    "hlt_insn: hlt\n ret\n"
    "user_cli:\n"
    "cli_insn: cli\n ret\n"
    "user_read_cr0:\n"
    "cr0_insn: movq %cr0, %rax\n ret\n"
    /* popf at CPL 3 with IOPL 0 leaves IF and IOPL alone, silently (SDM vol. 2, POPF). */
    "user_popf:\n"
    "  pushfq; orq $0x3200, (%rsp); popfq\n"
    "  pushfq; popq u_flags(%rip); ret\n"
    /* Privileged at CPL 3: each is #GP(0) (SDM vol. 2, each instruction's protected-mode exceptions). */
    "user_swapgs:\n priv_swapgs: swapgs\n ret\n"
    "user_rdmsr:\n movl $0xc0000080, %ecx\n priv_rdmsr: rdmsr\n ret\n"
    "user_sysret:\n priv_sysret: sysretq\n ret\n"
    "user_lgdt:\n subq $16, %rsp; sgdt (%rsp)\n priv_lgdt: lgdt (%rsp)\n addq $16, %rsp; ret\n"
    "user_invlpg:\n priv_invlpg: invlpg (%rsp)\n ret\n"
    "user_rdtsc:\n priv_rdtsc: rdtsc\n ret\n"
    "user_sgdt:\n subq $16, %rsp\n priv_sgdt: sgdt (%rsp)\n addq $16, %rsp; ret\n"
    "user_misaligned:\n"
    "  movq %rsp, %rax; andq $~15, %rax\n"
    "ac_insn: movl 1(%rax), %edx\n ret\n");
void syscall_entry(void), user_syscall(ulong), user_int81(ulong), user_int82(ulong), user_hlt(ulong),
    user_cli(ulong), user_read_cr0(ulong), user_misaligned(ulong), user_popf(ulong), user_swapgs(ulong),
    user_rdmsr(ulong), user_sysret(ulong), user_lgdt(ulong), user_invlpg(ulong), user_rdtsc(ulong),
    user_sgdt(ulong);
extern char sc_insn[], sc_next[], int81_insn[], int81_next[], int82_insn[], hlt_insn[], cli_insn[],
    cr0_insn[], ac_insn[], priv_swapgs[], priv_rdmsr[], priv_sysret[], priv_lgdt[], priv_invlpg[],
    priv_rdtsc[], priv_sgdt[];

static void user_read(ulong addr)
{
    (void)probe_read8(addr);
}

static void user_write(ulong addr)
{
    probe_write8(addr, 1);
}

static void user_exec(ulong addr)
{
    probe_exec(addr);
}

static uint8_t ring0_stack_for_test[8192] __attribute__((aligned(16)));
static ulong int81_frame_sp, int81_frame_cs, int81_frame_ss, int81_frame_ip, int81_handler_top, int81_flags;

static void int81_hook(struct frame *f)
{
    int81_frame_sp = f->sp;
    int81_frame_cs = f->cs;
    int81_frame_ss = f->ss;
    int81_frame_ip = f->ip;
    int81_flags = f->flags;
    int81_handler_top = (ulong)f + sizeof(*f);
    f->rax += 1;
}

static void expect_user_fault(const char *what, int got, int vec, ulong error, ulong ip)
{
    check_eq(cat(what, ": vector"), (ulong)got, (ulong)vec);
    check_eq(cat(what, ": error code"), last_exc.error, error);
    check_eq(cat(what, ": frame rip - expected"), last_exc.ip - ip, 0);
    check_eq(cat(what, ": frame cs:ss"), last_exc.cs << 16 | last_exc.ss, (ulong)SEL_UCODE64 << 16 | SEL_UDATA);
}

static void test_iret_and_gates(void)
{
    tss_set_sp0((ulong)ring0_stack_for_test + sizeof(ring0_stack_for_test));
    idt_set(0x81, idt_stub(0x81), 3, 0, 0xe);
    exc_set_hook(0x81, int81_hook);
    check_no_fault("iretq to ring 3, int $0x81 back, iretq to ring 3, return", run_user(user_int81, 0, 0));
    exc_set_hook(0x81, 0);
    check_eq("int $0x81 from ring 3: handler's rax seen in ring 3", u_result, 101);
    check_eq("int $0x81 from ring 3: user cs after iretq", u_cs, SEL_UCODE64);
    check_eq("int $0x81 frame: cs", int81_frame_cs, SEL_UCODE64);
    check_eq("int $0x81 frame: ss", int81_frame_ss, SEL_UDATA);
    check_eq("int $0x81 frame: rip - next instruction", int81_frame_ip - (ulong)int81_next, 0);
    check_eq("int $0x81 frame: rsp - user rsp", int81_frame_sp - u_rsp_before, 0);
    check_eq("int $0x81 frame: rflags IOPL 0, IF 0, bit 1", int81_flags & (FL_IOPL3 | FL_IF | 2), 2);
    check_eq("int $0x81 frame end - TSS.RSP0", int81_handler_top - ((ulong)ring0_stack_for_test +
             sizeof(ring0_stack_for_test)), 0);
    expect_user_fault("int $0x82 through a DPL-0 gate from ring 3: #GP", run_user(user_int82, 0, 0), 13,
                      0x82 * 8 + 2, (ulong)int82_insn);
    expect_user_fault("hlt in ring 3: #GP", run_user(user_hlt, 0, 0), 13, 0, (ulong)hlt_insn);
    expect_user_fault("cli in ring 3 with IOPL 0: #GP", run_user(user_cli, 0, 0), 13, 0, (ulong)cli_insn);
    check_no_fault("cli in ring 3 with IOPL 3: no fault", run_user(user_cli, 0, FL_IOPL3));
    u_flags = ~0ul;
    check_no_fault("popf in ring 3 setting IF and IOPL: no fault", run_user(user_popf, 0, 0));
    check_eq("popf in ring 3 with IOPL 0: IF and IOPL unchanged", u_flags & (FL_IF | FL_IOPL3), 0);
    expect_user_fault("mov from cr0 in ring 3: #GP", run_user(user_read_cr0, 0, 0), 13, 0, (ulong)cr0_insn);
}

static void test_privileged(void)
{
    expect_user_fault("swapgs in ring 3: #GP", run_user(user_swapgs, 0, 0), 13, 0, (ulong)priv_swapgs);
    expect_user_fault("rdmsr in ring 3: #GP", run_user(user_rdmsr, 0, 0), 13, 0, (ulong)priv_rdmsr);
    /* sysret checks EFER.SCE (#UD) before the CPL (#GP). */
    expect_user_fault("sysret in ring 3 with EFER.SCE=0: #UD", run_user(user_sysret, 0, 0), 6, 0, (ulong)priv_sysret);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    expect_user_fault("sysret in ring 3: #GP", run_user(user_sysret, 0, 0), 13, 0, (ulong)priv_sysret);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
    expect_user_fault("lgdt in ring 3: #GP", run_user(user_lgdt, 0, 0), 13, 0, (ulong)priv_lgdt);
    expect_user_fault("invlpg in ring 3: #GP", run_user(user_invlpg, 0, 0), 13, 0, (ulong)priv_invlpg);
    check_no_fault("rdtsc in ring 3 with CR4.TSD=0", run_user(user_rdtsc, 0, 0));
    WRITE_CR(4, READ_CR(4) | (1u << 2));   /* TSD */
    expect_user_fault("rdtsc in ring 3 with CR4.TSD=1: #GP", run_user(user_rdtsc, 0, 0), 13, 0, (ulong)priv_rdtsc);
    WRITE_CR(4, READ_CR(4) & ~(1ul << 2));
    uint32_t r[4];
    cpuid(7, 0, r);
    if (r[2] & (1u << 2)) {   /* UMIP */
        opt_mode = 1;
        check_no_fault("sgdt in ring 3 with CR4.UMIP=0", run_user(user_sgdt, 0, 0));
        WRITE_CR(4, READ_CR(4) | (1u << 11));
        expect_user_fault("sgdt in ring 3 with CR4.UMIP=1: #GP", run_user(user_sgdt, 0, 0), 13, 0, (ulong)priv_sgdt);
        WRITE_CR(4, READ_CR(4) & ~(1ul << 11));
        opt_mode = 0;
    } else {
        opt_skip("UMIP", "not advertised");
    }
}

static void test_syscall(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, (uint64_t)0x18 << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (ulong)syscall_entry);
    wrmsr(MSR_SFMASK, SFMASK_BITS);
    percpu.kstack = (ulong)syscall_stack + sizeof(syscall_stack);
    wrmsr(MSR_GS_BASE, (ulong)user_gs_area);
    wrmsr(MSR_KERNEL_GS_BASE, (ulong)&percpu);
    check_no_fault("syscall from ring 3 and sysret: back in ring 3 normally", run_user(user_syscall, 0, 0));
    check_eq("syscall: rcx = next rip", sc_rcx - (ulong)sc_next, 0);
    check_eq("syscall: r11 = user rflags (DF set)", sc_r11 & (FL_DF | FL_IF | FL_IOPL3 | 2), FL_DF | 2);
    check_eq("syscall: kernel rflags = user rflags & ~SFMASK", sc_flags & (FL_DF | 2), 2);
    check_eq("syscall: cs from STAR[47:32]", sc_cs, SEL_KCODE);
    check_eq("syscall: ss from STAR[47:32] + 8", sc_ss, SEL_KDATA);
    check_eq("syscall: rsp unchanged by the CPU (user rsp seen in the kernel)", sc_rsp - u_rsp_before, 0);
    check_eq("swapgs in the kernel: %gs:16 from KERNEL_GS_BASE", sc_gs_magic, GS_MAGIC_KERNEL);
    check_eq("sysret: rax", u_result, 43);
    check_eq("sysret: cs from STAR[63:48] + 16, RPL 3", u_cs, SEL_UCODE64);
    check_eq("sysret: ss from STAR[63:48] + 8, RPL 3", u_ss, SEL_UDATA);
    check_eq("sysret: rflags from r11 (DF back)", u_flags & (FL_DF | 2), FL_DF | 2);
    check_eq("sysret: rcx still the return rip", u_rcx - (ulong)sc_next, 0);
    check_eq("sysret: rsp - user rsp", u_rsp_after - u_rsp_before, 0);
    check_eq("second swapgs: user GS base back", u_gs_magic, GS_MAGIC_USER);
    check("KERNEL_GS_BASE back to the per-CPU area", rdmsr(MSR_KERNEL_GS_BASE) == (ulong)&percpu);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
    expect_user_fault("syscall with EFER.SCE=0: #UD", run_user(user_syscall, 0, 0), 6, 0, (ulong)sc_insn);
}

static void test_user_pages(void)
{
    boot_pd[SUPER_PAGE >> 21] &= ~4ull;              /* U/S = 0 */
    boot_pd[ABSENT_PAGE >> 21] &= ~1ull;             /* P = 0 */
    boot_pd[NX_PAGE >> 21] |= 1ull << 63;            /* XD */
    invlpg(SUPER_PAGE);
    invlpg(ABSENT_PAGE);
    invlpg(NX_PAGE);
    *(volatile uint8_t *)(NX_PAGE + 0x100) = 0xc3;   /* ret, for the fetch test */
    check_no_fault("ring 0 reads a supervisor page", run_catch(user_read, SUPER_PAGE + 0x10));
    expect_user_fault("ring 3 read of a supervisor page: #PF", run_user(user_read, SUPER_PAGE + 0x10, 0), 14,
                      0x5, (ulong)probe_read8_insn);
    check_eq("ring 3 read of a supervisor page: cr2", last_exc.cr2, SUPER_PAGE + 0x10);
    expect_user_fault("ring 3 write of a supervisor page: #PF", run_user(user_write, SUPER_PAGE + 0x20, 0), 14,
                      0x7, (ulong)probe_write8_insn);
    check_eq("ring 3 write of a supervisor page: cr2", last_exc.cr2, SUPER_PAGE + 0x20);
    expect_user_fault("ring 3 read of a not-present page: #PF", run_user(user_read, ABSENT_PAGE + 0x30, 0), 14,
                      0x4, (ulong)probe_read8_insn);
    check_eq("ring 3 read of a not-present page: cr2", last_exc.cr2, ABSENT_PAGE + 0x30);
    expect_user_fault("ring 3 fetch from an NX page: #PF", run_user(user_exec, NX_PAGE + 0x100, 0), 14,
                      0x15, NX_PAGE + 0x100);
    check_eq("ring 3 fetch from an NX page: cr2", last_exc.cr2, NX_PAGE + 0x100);
    boot_pd[SUPER_PAGE >> 21] |= 4;
    boot_pd[ABSENT_PAGE >> 21] |= 1;
    boot_pd[NX_PAGE >> 21] &= ~(1ull << 63);
    WRITE_CR(3, READ_CR(3));
}

static void test_alignment_check(void)
{
    check_no_fault("misaligned load in ring 3, AC=1, CR0.AM=0: no fault", run_user(user_misaligned, 0, FL_AC));
    WRITE_CR(0, READ_CR(0) | CR0_AM);
    check_no_fault("misaligned load in ring 3, AC=0, CR0.AM=1: no fault", run_user(user_misaligned, 0, 0));
    expect_user_fault("misaligned load in ring 3, AC=1, CR0.AM=1: #AC", run_user(user_misaligned, 0, FL_AC), 17,
                      0, (ulong)ac_insn);
    check_no_fault("misaligned load in ring 0, AC=1, CR0.AM=1: no fault", run_catch(user_misaligned, 0));
    WRITE_CR(0, READ_CR(0) & ~(ulong)CR0_AM);
}

/* A 64-bit call gate (SDM vol. 3, 5.8.3.1): 16 bytes, type 0xc; far call from ring 3 to 64-bit
 * ring-0 code: RSP from TSS.RSP0, SS a null selector, the caller's SS, RSP, CS, RIP pushed as
 * quadwords; lretq goes back to ring 3. The far pointer's offset is ignored. */
#define SEL_GATE64 SEL_SPARE0
struct __attribute__((packed)) { uint32_t off; uint16_t sel; } gate64_ptr = { 0x1234, SEL_GATE64 | 3 };
ulong cg_rip, cg_cs, cg_rsp, cg_ss, cg_ss_now, cg_rsp_now;
__asm__(
    ".text\n"
    "user_callgate64: movq %rsp, u_rsp_before(%rip)\n"
    "  lcall *gate64_ptr(%rip)\n"
    "callgate64_next: movq %rsp, u_rsp_after(%rip); ret\n"
    "callgate64_target:\n"
    "  movq 0(%rsp), %rax; movq %rax, cg_rip(%rip); movq 8(%rsp), %rax; movq %rax, cg_cs(%rip)\n"
    "  movq 16(%rsp), %rax; movq %rax, cg_rsp(%rip); movq 24(%rsp), %rax; movq %rax, cg_ss(%rip)\n"
    "  movq %ss, %rax; movq %rax, cg_ss_now(%rip); movq %rsp, cg_rsp_now(%rip)\n"
    "  lretq\n");
void user_callgate64(ulong), callgate64_target(void);
extern char callgate64_next[];

static void set_gate64(ulong off, uint16_t cs, unsigned dpl, uint64_t hi_type)
{
    gdt[SEL_GATE64 >> 3] = (off & 0xffff) | ((uint64_t)cs << 16) | (0xcull << 40) | ((uint64_t)dpl << 45) |
                           (1ull << 47) | ((uint64_t)((off >> 16) & 0xffff) << 48);
    gdt[(SEL_GATE64 >> 3) + 1] = (off >> 32) | (hi_type << 40);
}

static void test_callgate64(void)
{
    set_gate64((ulong)callgate64_target, SEL_KCODE, 3, 0);
    check_no_fault("64-bit call gate from ring 3 to ring 0, lretq back", run_user(user_callgate64, 0, 0));
    check_eq("64-bit call gate: pushed rip - return address", cg_rip - (ulong)callgate64_next, 0);
    check_eq("64-bit call gate: pushed cs", cg_cs, SEL_UCODE64);
    check_eq("64-bit call gate: pushed rsp - user rsp", cg_rsp - u_rsp_before, 0);
    check_eq("64-bit call gate: pushed ss", cg_ss, SEL_UDATA);
    check_eq("64-bit call gate: ss is a null selector", cg_ss_now, 0);
    check_eq("64-bit call gate: rsp = TSS.RSP0 - 32", tss_get_sp0() - cg_rsp_now, 32);
    check_eq("lretq to ring 3: rsp back", u_rsp_after - u_rsp_before, 0);
    set_gate64((ulong)callgate64_target, SEL_KCODE, 3, 0xc);
    check_eq("64-bit call gate, type in the upper half: #GP", (ulong)run_user(user_callgate64, 0, 0), 13);
    check_eq("64-bit call gate, type in the upper half: error code", last_exc.error, SEL_GATE64);
    set_gate64((ulong)callgate64_target, SEL_KCODE32, 3, 0);
    check_eq("64-bit call gate to 32-bit code: #GP", (ulong)run_user(user_callgate64, 0, 0), 13);
    check_eq("64-bit call gate to 32-bit code: error code = the code selector", last_exc.error, SEL_KCODE32);
    gdt[SEL_GATE64 >> 3] = gdt[(SEL_GATE64 >> 3) + 1] = 0;
}

void guest_main(void)
{
    puts_uart("ring3: iretq to ring 3, DPL-3 gates, syscall/sysret, swapgs, user pages, #AC\n");
    test_iret_and_gates();
    test_privileged();
    test_syscall();
    test_user_pages();
    test_alignment_check();
    test_callgate64();
}
