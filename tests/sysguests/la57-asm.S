/* switch_paging(rdi = CR3, rsi = CR4), for the la57 guest: CR4.LA57 changes only outside IA-32e
 * mode (SDM vol. 3, 4.1.1), so leave it through compatibility mode (a 32-bit code segment, 0x40 in
 * the guests' GDT), turn paging off (IA32_EFER.LMA clears), load CR4 and CR3, turn paging on
 * again (EFER.LME is still set: LMA returns) and far-jump back to 64-bit code (0x08). Code, stack
 * and both tables lie in the identity-mapped first GiB, below 4 GiB. */
    .text
    .code64
    .globl switch_paging
switch_paging:
    pushq %rbx
    movq %rdi, %rbx
    movl %esi, %edx
    pushq $0x40
    leaq 1f(%rip), %rax
    pushq %rax
    lretq
    .code32
1:  movl %cr0, %eax
    andl $0x7fffffff, %eax
    movl %eax, %cr0
    movl %edx, %cr4
    movl %ebx, %cr3
    orl $0x80000000, %eax
    movl %eax, %cr0
    ljmp $0x08, $2f
    .code64
2:  popq %rbx
    ret
