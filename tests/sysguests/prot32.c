/* 32-bit protected mode: exceptions that exist only there (into #OF, bound #BR, #TS from an iret
 * with NT=1), the 32-bit frame (no SS:ESP without a privilege change, SS:ESP from ring 3), a call
 * gate from ring 3 to ring 0 and back, and sysenter/sysexit (SDM vol. 2, SYSENTER: CS and SS from
 * SYSENTER_CS, sysexit to SYSENTER_CS+16 / +24 with RPL 3). */
#include "guest.h"

#define SEL_CALLGATE (SEL_SPARE0 + 8)
#define SEL_CALLGATE2 (SEL_SPARE0 + 0x10)
ulong probe_esp;
uint32_t bound_range[2] = { 10, 20 };
ulong se_cs, se_ss, se_esp, se_flags, u_cs, u_ss, u_esp_before, u_esp_after, u_eax;
ulong cg_cs, cg_ss, cg_esp, cg_eip, cg_cpl_cs, cg_p1, cg_p2;
static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

__asm__(
    ".text\n"
    "into_probe: movl $0x7fffffff, %eax; addl $1, %eax; movl %esp, probe_esp\n"   /* OF = 1 */
    "into_insn: into\n into_next: ret\n"
    "into_clear_probe: xorl %eax, %eax; addl $1, %eax\n into\n ret\n"
    "bound_probe: movl 4(%esp), %eax; movl %esp, probe_esp\n"
    "bound_insn: boundl %eax, bound_range\n ret\n"
    "de_probe: xorl %edx, %edx; movl $1, %eax; xorl %ecx, %ecx; movl %esp, probe_esp\n"
    "de_insn: divl %ecx\n ret\n"
    "iret_nt_probe: pushfl; orl $0x4000, (%esp); popfl; movl %esp, probe_esp\n"
    "iret_nt_insn: iret\n"
    /* sysenter from ring 3: ecx = user esp, edx = where sysexit returns. */
    "user_sysenter: pushl %ebx; movl %esp, u_esp_before; movl %esp, %ecx; movl $1f, %edx; movl $7, %eax\n"
    "sysenter_insn: sysenter\n"
    "1: movl %esp, u_esp_after; movl %eax, u_eax; movw %cs, %ax; movzwl %ax, %eax; movl %eax, u_cs\n"
    "  movw %ss, %ax; movzwl %ax, %eax; movl %eax, u_ss; popl %ebx; ret\n"
    "sysenter_entry:\n"
    "  movl %ecx, se_esp; pushfl; popl se_flags\n"
    "  movw %cs, %bx; movzwl %bx, %ebx; movl %ebx, se_cs; movw %ss, %bx; movzwl %bx, %ebx; movl %ebx, se_ss\n"
    "  addl $35, %eax\n"
    "  sysexit\n"
    /* Far call through a DPL-3 call gate to ring 0: the CPU switches to TSS.ESP0 and pushes the
     * caller's SS, ESP, CS, EIP; lret goes back to ring 3. */
    "user_callgate: movl %esp, u_esp_before\n"
    "callgate_insn: lcall $0x6b, $0\n"
    "callgate_next: ret\n"
    "callgate_target:\n"
    "  movl 0(%esp), %eax; movl %eax, cg_eip; movl 4(%esp), %eax; movl %eax, cg_cs\n"
    "  movl 8(%esp), %eax; movl %eax, cg_esp; movl 12(%esp), %eax; movl %eax, cg_ss\n"
    "  movw %cs, %ax; movzwl %ax, %eax; movl %eax, cg_cpl_cs\n"
    "  lret\n"
    /* Two dword parameters through a gate with count 2: the CPU copies them to the inner stack
     * between the return address and the caller's ESP; lret $8 drops them from both stacks. */
    "user_callgate_params: movl %esp, u_esp_before; pushl $0x2222; pushl $0x1111\n"
    "  lcall $0x73, $0\n"
    "  movl %esp, u_esp_after; ret\n"
    "callgate_params_target:\n"
    "  movl 8(%esp), %eax; movl %eax, cg_p1; movl 12(%esp), %eax; movl %eax, cg_p2\n"
    "  movl 16(%esp), %eax; movl %eax, cg_esp; movl 20(%esp), %eax; movl %eax, cg_ss\n"
    "  lret $8\n"
    /* At ring 0: a call through a gate to the same level pushes CS:EIP on the current stack; a jmp
     * through a gate pushes nothing (its target returns with the near ret of this probe). */
    "callgate_same_probe: movl %esp, probe_esp\n"
    "  lcall $0x68, $0\n"
    "  ret\n"
    "callgate_same_target: movl %esp, cg_esp; movl 0(%esp), %eax; movl %eax, cg_eip; movl 4(%esp), %eax\n"
    "  movl %eax, cg_cs; lret\n"
    "callgate_jmp_probe: movl %esp, probe_esp\n"
    "  ljmp $0x68, $0\n"
    "callgate_jmp_target: movl %esp, cg_esp; movl $0x4a4a, cg_p1; ret\n");
void into_probe(ulong), into_clear_probe(ulong), bound_probe(ulong), de_probe(ulong), iret_nt_probe(ulong),
    user_sysenter(ulong), sysenter_entry(void), user_callgate(ulong), callgate_target(void),
    user_callgate_params(ulong), callgate_params_target(void), callgate_same_probe(ulong),
    callgate_same_target(void), callgate_jmp_probe(ulong), callgate_jmp_target(void);
extern char into_insn[], into_next[], bound_insn[], de_insn[], iret_nt_insn[], sysenter_insn[],
    callgate_next[];

static void expect_fault(const char *what, int got, int vec, ulong error, ulong ip)
{
    check_eq(cat(what, ": vector"), (ulong)got, (ulong)vec);
    check_eq(cat(what, ": error code"), last_exc.error, error);
    check_eq(cat(what, ": frame eip - expected"), last_exc.ip - ip, 0);
    check_eq(cat(what, ": frame cs"), last_exc.cs, SEL_KCODE);
    /* Same privilege: the CPU pushed EFLAGS, CS, EIP only, so the old ESP is just above them. */
    check_eq(cat(what, ": esp above the 3-word frame - interrupted esp"), last_exc.sp - probe_esp, 0);
}

static void test_exceptions(void)
{
    expect_fault("#OF into with OF=1 (trap)", run_catch(into_probe, 0), 4, 0, (ulong)into_next);
    check_no_fault("into with OF=0: no exception", run_catch(into_clear_probe, 0));
    expect_fault("#BR bound, index below the range", run_catch(bound_probe, 5), 5, 0, (ulong)bound_insn);
    expect_fault("#BR bound, index above the range", run_catch(bound_probe, 21), 5, 0, (ulong)bound_insn);
    check_no_fault("bound, index within the range: no exception", run_catch(bound_probe, 20));
    expect_fault("#DE div by zero", run_catch(de_probe, 0), 0, 0, (ulong)de_insn);
    /* iret with NT=1 returns to the task in the TSS back link: a selector beyond the GDT is #TS. */
    tss_set_backlink(0x1238);
    expect_fault("#TS iret with NT=1, back link beyond the GDT", run_catch(iret_nt_probe, 0), 10, 0x1238,
                 (ulong)iret_nt_insn);
    tss_set_backlink(0);
}

/* A 32-bit call gate descriptor (SDM vol. 3, figure 5-8): type 0xc, dword parameter count. */
static uint64_t call_gate(ulong off, uint16_t cs, unsigned dpl, unsigned params, int present)
{
    return (off & 0xffff) | ((uint64_t)cs << 16) | ((uint64_t)params << 32) | (0xcull << 40) |
           ((uint64_t)dpl << 45) | ((uint64_t)(present != 0) << 47) | ((uint64_t)(off >> 16) << 48);
}

static void test_callgate(void)
{
    ulong off = (ulong)callgate_target;
    gdt[SEL_CALLGATE >> 3] = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) | (0xecull << 40) |
                             ((uint64_t)(off >> 16) << 48);   /* 32-bit call gate, DPL 3, P */
    check_no_fault("call gate from ring 3 to ring 0 and lret back", run_user(user_callgate, 0, 0));
    check_eq("call gate: ring-0 code runs with cs", cg_cpl_cs, SEL_KCODE);
    check_eq("call gate: pushed cs (ring 3)", cg_cs, SEL_UCODE32);
    check_eq("call gate: pushed ss (ring 3)", cg_ss, SEL_UDATA);
    check_eq("call gate: pushed esp - user esp", cg_esp - u_esp_before, 0);
    check_eq("call gate: pushed eip - return address", cg_eip - (ulong)callgate_next, 0);

    /* Parameter copying (SDM vol. 3, 5.8.5): the gate's count field, dwords for a 32-bit gate. */
    gdt[SEL_CALLGATE2 >> 3] = call_gate((ulong)callgate_params_target, SEL_KCODE, 3, 2, 1);
    cg_p1 = cg_p2 = 0;
    check_no_fault("call gate with 2 parameters from ring 3, lret $8 back", run_user(user_callgate_params, 0, 0));
    check_eq("call gate: parameter 1 copied", cg_p1, 0x1111);
    check_eq("call gate: parameter 2 copied", cg_p2, 0x2222);
    check_eq("call gate with parameters: pushed esp - user esp (after the pushes)", u_esp_before - cg_esp, 8);
    check_eq("call gate with parameters: pushed ss", cg_ss, SEL_UDATA);
    check_eq("lret $8: the parameters are gone from the user stack", u_esp_after - u_esp_before, 0);

    /* Gate checks: DPL below CPL, not present (SDM vol. 2, CALL: #GP/#NP with the gate selector). */
    gdt[SEL_CALLGATE >> 3] = call_gate(off, SEL_KCODE, 0, 0, 1);
    check_eq("call gate with DPL 0 from ring 3: #GP", (ulong)run_user(user_callgate, 0, 0), 13);
    check_eq("call gate with DPL 0 from ring 3: error code = the gate", last_exc.error, SEL_CALLGATE & 0xfff8);
    gdt[SEL_CALLGATE >> 3] = call_gate(off, SEL_KCODE, 3, 0, 0);
    check_eq("not-present call gate: #NP", (ulong)run_user(user_callgate, 0, 0), 11);
    check_eq("not-present call gate: error code = the gate", last_exc.error, SEL_CALLGATE & 0xfff8);
    gdt[SEL_CALLGATE >> 3] = call_gate(off, SEL_UCODE32, 3, 0, 1) & ~(0xffffull << 16);
    check_eq("call gate to a null code selector: #GP(0)", (ulong)run_user(user_callgate, 0, 0), 13);
    check_eq("call gate to a null code selector: error code", last_exc.error, 0);

    /* Same privilege: a call pushes CS:EIP on the current stack; a jmp pushes nothing. */
    gdt[SEL_CALLGATE >> 3] = call_gate((ulong)callgate_same_target, SEL_KCODE, 0, 0, 1);
    check_no_fault("call gate at ring 0 to ring 0", run_catch(callgate_same_probe, 0));
    check_eq("same-level call gate: 2 dwords pushed on the same stack", probe_esp - cg_esp, 8);
    check_eq("same-level call gate: pushed cs", cg_cs, SEL_KCODE);
    gdt[SEL_CALLGATE >> 3] = call_gate((ulong)callgate_jmp_target, SEL_KCODE, 0, 0, 1);
    cg_p1 = 0;
    check_no_fault("jmp through a call gate at ring 0", run_catch(callgate_jmp_probe, 0));
    check_eq("jmp through a call gate: reached the target", cg_p1, 0x4a4a);
    check_eq("jmp through a call gate: nothing pushed", probe_esp - cg_esp, 0);
    gdt[SEL_CALLGATE >> 3] = 0;
    gdt[SEL_CALLGATE2 >> 3] = 0;
}

static void test_sysenter(void)
{
    wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
    wrmsr(MSR_SYSENTER_ESP, (ulong)sysenter_stack + sizeof(sysenter_stack));
    wrmsr(MSR_SYSENTER_EIP, (ulong)sysenter_entry);
    check_no_fault("sysenter from ring 3, sysexit back", run_user(user_sysenter, 0, 0));
    check_eq("sysenter: cs = SYSENTER_CS", se_cs, SEL_KCODE);
    check_eq("sysenter: ss = SYSENTER_CS + 8", se_ss, SEL_KDATA);
    check_eq("sysenter: IF clear in the kernel", se_flags & FL_IF, 0);
    check_eq("sysenter: ecx carries the user esp", se_esp - u_esp_before, 0);
    check_eq("sysexit: cs = SYSENTER_CS + 16, RPL 3", u_cs, SEL_UCODE32);
    check_eq("sysexit: ss = SYSENTER_CS + 24, RPL 3", u_ss, SEL_UDATA);
    check_eq("sysexit: esp from ecx", u_esp_after - u_esp_before, 0);
    check_eq("sysexit: eax from the kernel", u_eax, 42);
    wrmsr(MSR_SYSENTER_CS, 0);
    int v = run_user(user_sysenter, 0, 0);
    check_eq("sysenter with SYSENTER_CS = 0: #GP", (ulong)v, 13);
    check_eq("sysenter with SYSENTER_CS = 0: error code", last_exc.error, 0);
    check_eq("sysenter with SYSENTER_CS = 0: frame eip - sysenter", last_exc.ip - (ulong)sysenter_insn, 0);
    check_eq("ring 3 fault frame: cs", last_exc.cs, SEL_UCODE32);
    check_eq("ring 3 fault frame: ss pushed", last_exc.ss, SEL_UDATA);
}

void guest_main(void)
{
    puts_uart("prot32: into, bound, #TS, 32-bit frames, call gate, sysenter/sysexit\n");
    test_exceptions();
    test_callgate();
    test_sysenter();
}
