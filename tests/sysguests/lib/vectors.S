/* Interrupt and exception entry stubs, one per vector, 16 bytes apart (idt_stub() computes them).
 * Each makes the frame uniform (a zero where the CPU pushes no error code, SDM vol. 3 table 6-1),
 * pushes its vector, saves the registers and calls exc_dispatch(struct frame *). */
#define HAS_ERROR(n) ((n) == 8 || ((n) >= 10 && (n) <= 14) || (n) == 17 || (n) == 21 || (n) == 29 || (n) == 30)

    .text
    .p2align 4
    .globl exc_stubs
exc_stubs:
    .set vec, 0
    .rept 256
1:
    .if !HAS_ERROR(vec)
    push $0
    .endif
    push $vec
    jmp exc_common
    .org 1b + 16, 0xcc                /* exactly 16 bytes: gas stops if a stub grew longer */
    .set vec, vec + 1
    .endr

exc_common:
#ifdef __x86_64__
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    movq %rsp, %rdi
    /* The frame is 16-byte aligned only if the CPU aligned the stack (it does in long mode). */
    call exc_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    addq $16, %rsp
    iretq
#else
    pusha
    cld
    movl %esp, %eax
    pushl %eax
    call exc_dispatch
    addl $4, %esp
    popa
    addl $8, %esp
    iret
#endif
