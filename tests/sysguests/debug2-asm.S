/* The instruction sequences of debug2.c (its header says what each checks): each label names an
 * instruction that a #DB or exception frame is expected to point at. */
    .text
    .globl ud_fn
    .globl gp_fn
    .globl pf_fn
    .globl int3_fn
    .globl int42_fn
    .globl rf_probe
    .globl rf_x
    .globl rf_y
    .globl rf_gp_probe
    .globl ss_data_probe
    .globl ss_data_next1
    .globl ss_data_next2
    .globl ss_data_tf_probe
    .globl ss_data_tf_next1
    .globl ss_data_tf_next2
    .globl ss_int_probe
    .globl ss_icebp_probe
    .globl ss_icebp_next
    .globl tf_int_probe
    .globl tf_int_a
    .globl tf_int_insn
    .globl tf_int_b
    .globl tf_int_c
    .globl tf_int_d
    .globl tf_far_probe
    .globl tf_far_a
    .globl tf_far_back
    .globl tf_far_end
    .globl far_ctarget
    .globl far_jtarget
    .globl tf_iret_probe
    .globl tf_iret_a
    .globl tf_iret_insn
    .globl iret_target
    .globl iret_t2
    .globl tf_iret_end
    .globl tf_sc_entry
    .globl tf_sc_ret
    .globl tf_sc_user
    .globl tf_sc_a
    .globl tf_sc_insn
    .globl tf_sc_b
    .globl tf_sc_c
    .globl ss_irq_probe
    .globl ss_irq_loop
    .globl ss_irq_after
ud_fn:
    ud2
    ret
gp_fn:
    movq $0x8000000000000000, %rax
    movq (%rax), %rax
    ret
pf_fn:
    movq $0x7fc0000000, %rax
    movq (%rax), %rax
    ret
int3_fn:
    int3
    ret
int42_fn:
    int $0x42
    ret
    /* iretq from the #UD handler lands on rf_x: with RF=1 its breakpoint is skipped, rf_y's not. */
rf_probe:
    ud2
rf_x:
    incl %eax
rf_y:
    incl %eax
    ret
    /* An instruction breakpoint on a store that faults (#GP, fixed by the handler) and restarts. */
rf_gp_probe:
    movq %rdi, (%rsi)
    ret
    /* mov ss reading ss_sel under a read/write breakpoint: trap after the next instruction. */
ss_data_probe:
    movw ss_sel(%rip), %ss
ss_data_next1:
    nop
ss_data_next2:
    ret
ss_data_tf_probe:
    pushfq; orq $0x100, (%rsp); popfq
    movw ss_sel(%rip), %ss
ss_data_tf_next1:
    nop
ss_data_tf_next2:
    pushfq; andq $~0x100, (%rsp); popfq
    ret
    /* int n right after a mov ss that hit a breakpoint: the held #DB is taken once the gate has
     * been entered, on the handler's first instruction (SDM 6.8.3; the CVE-2018-8897 case). */
ss_int_probe:
    movw ss_sel(%rip), %ss
    int $0x42
    ret
    /* ICEBP (F1) right after mov ss: its #DB is a trap, rip after it. */
ss_icebp_probe:
    movw %ss, %ax; movw %ax, %ss
    .byte 0xf1
ss_icebp_next:
    ret
    /* TF over int n: the handler is not stepped; iretq brings TF back. */
tf_int_probe:
    pushfq; orq $0x100, (%rsp); popfq
tf_int_a:
    nop
tf_int_insn:
    int $0x42
tf_int_b:
    nop
tf_int_c:
    nop
tf_int_d:
    pushfq; andq $~0x100, (%rsp); popfq
    ret
    /* TF over far call, far ret and far jmp between the 64-bit code segments 0x08 and 0x58. */
tf_far_probe:
    pushfq; orq $0x100, (%rsp); popfq
tf_far_a:
    lcall *far_call_ptr(%rip)
tf_far_back:
    ljmp *far_jmp_ptr(%rip)
tf_far_end:
    pushfq; andq $~0x100, (%rsp); popfq
    ret
far_ctarget:
    lretl
far_jtarget:
    ljmp *far_back_ptr(%rip)
    /* TF over iretq to 0x58 with TF set in the frame too, then a far jmp back. */
tf_iret_probe:
    movq %rsp, %rax
    pushq $0x10; pushq %rax; pushfq; orq $0x100, (%rsp); pushq $0x58
    leaq iret_target(%rip), %rdx; pushq %rdx
    pushfq; orq $0x100, (%rsp); popfq
tf_iret_a:
    nop
tf_iret_insn:
    iretq
iret_target:
    nop
iret_t2:
    ljmp *far_iret_back(%rip)
tf_iret_end:
    pushfq; andq $~0x100, (%rsp); popfq
    ret
    /* syscall from ring 3 with TF set; the kernel side just returns. */
tf_sc_entry:
    nop
tf_sc_ret:
    sysretq
tf_sc_user:
    pushfq; orq $0x100, (%rsp); popfq
tf_sc_a:
    nop
tf_sc_insn:
    syscall
tf_sc_b:
    nop
tf_sc_c:
    nop
    pushfq; andq $~0x100, (%rsp); popfq
    ret
    /* mov ss in a loop while the APIC timer fires (IF=1): no interrupt lands between the mov ss and
     * the nop after it. rdi: how many interrupts to wait for. */
ss_irq_probe:
    movw %ss, %ax
ss_irq_loop:
    movw %ax, %ss
ss_irq_after:
    nop
    cmpl %edi, irq_count(%rip); jb ss_irq_loop
    ret
