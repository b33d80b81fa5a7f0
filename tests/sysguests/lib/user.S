/* Entering ring 3 with an iret frame; the trampoline calls the test function and comes back with
 * int $0x80, eax = USER_EXIT (0x5a5a). */
    .text
    .globl user_enter
#ifdef __x86_64__
user_enter:                         /* rdi fn, rsi arg, rdx flags, rcx user stack */
    pushq $0x23
    pushq %rcx
    pushq %rdx
    pushq $0x2b
    pushq $user_trampoline
    iretq
user_trampoline:
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    movl $0x5a5a, %eax
    int $0x80
    ud2
#else
user_enter:                         /* (fn, arg, flags, stack) */
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    movl 12(%esp), %ecx
    movl 16(%esp), %ebx
    movw $0x23, %si
    movw %si, %ds
    movw %si, %es
    pushl $0x23
    pushl %ebx
    pushl %ecx
    pushl $0x1b
    pushl $user_trampoline
    iret
user_trampoline:
    subl $12, %esp
    pushl %edx
    call *%eax
    movl $0x5a5a, %eax
    int $0x80
    ud2
#endif
