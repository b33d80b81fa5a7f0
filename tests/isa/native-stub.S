/* Entering and leaving a snippet on the host CPU (see native.c for the context layout).
 * isa_native_enter loads every register of the snippet's initial state and jumps to it; the
 * snippet's last byte is followed by `jmp [rip+0]; .quad isa_native_exit`, which stores every
 * register back without touching the flags or the snippet's stack, then returns to the caller of
 * isa_native_enter on the host stack. */
    .intel_syntax noprefix

    .set CTX_GPR,      0
    .set CTX_RFLAGS,   128
    .set CTX_HOSTRSP,  136
    .set CTX_FXIN,     160
    .set CTX_OUTGPR,   672
    .set CTX_OUTFLAGS, 800
    .set CTX_FXOUT,    816

    .bss
    .balign 8
isa_native_cur:     .quad 0     /* the context of the snippet now running (one per process) */
isa_native_scratch: .quad 0
    .globl isa_native_entry
isa_native_entry:   .quad 0     /* where the snippet starts */

    .section .rodata
    .balign 4
isa_mxcsr_default:  .long 0x1f80

    .text
/* void isa_native_enter(struct native_ctx *ctx) */
    .globl isa_native_enter
    .type isa_native_enter, @function
isa_native_enter:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [rip + isa_native_cur], rdi
    mov [rdi + CTX_HOSTRSP], rsp
    fxrstor64 [rdi + CTX_FXIN]
    push qword ptr [rdi + CTX_RFLAGS]
    popfq                               /* from here on only mov: the flags stay as loaded */
    mov r15, rdi
    mov rax, [r15 + 0]
    mov rcx, [r15 + 8]
    mov rdx, [r15 + 16]
    mov rbx, [r15 + 24]
    mov rsp, [r15 + 32]
    mov rbp, [r15 + 40]
    mov rsi, [r15 + 48]
    mov rdi, [r15 + 56]
    mov r8,  [r15 + 64]
    mov r9,  [r15 + 72]
    mov r10, [r15 + 80]
    mov r11, [r15 + 88]
    mov r12, [r15 + 96]
    mov r13, [r15 + 104]
    mov r14, [r15 + 112]
    mov r15, [r15 + 120]
    jmp qword ptr [rip + isa_native_entry]
    .size isa_native_enter, . - isa_native_enter

/* Reached by the jump at stop_rip: the snippet's registers are live. */
    .globl isa_native_exit
    .type isa_native_exit, @function
isa_native_exit:
    mov [rip + isa_native_scratch], rax
    mov rax, [rip + isa_native_cur]
    mov [rax + CTX_OUTGPR + 8], rcx
    mov [rax + CTX_OUTGPR + 16], rdx
    mov [rax + CTX_OUTGPR + 24], rbx
    mov [rax + CTX_OUTGPR + 32], rsp
    mov [rax + CTX_OUTGPR + 40], rbp
    mov [rax + CTX_OUTGPR + 48], rsi
    mov [rax + CTX_OUTGPR + 56], rdi
    mov [rax + CTX_OUTGPR + 64], r8
    mov [rax + CTX_OUTGPR + 72], r9
    mov [rax + CTX_OUTGPR + 80], r10
    mov [rax + CTX_OUTGPR + 88], r11
    mov [rax + CTX_OUTGPR + 96], r12
    mov [rax + CTX_OUTGPR + 104], r13
    mov [rax + CTX_OUTGPR + 112], r14
    mov [rax + CTX_OUTGPR + 120], r15
    mov rcx, [rip + isa_native_scratch]
    mov [rax + CTX_OUTGPR + 0], rcx
    mov rsp, [rax + CTX_HOSTRSP]        /* back on the host stack: the snippet's stays untouched */
    pushfq
    pop qword ptr [rax + CTX_OUTFLAGS]
    fxsave64 [rax + CTX_FXOUT]
    fninit                              /* the C code after us expects the ABI's FP state */
    ldmxcsr [rip + isa_mxcsr_default]
    cld
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
    .size isa_native_exit, . - isa_native_exit

    .section .note.GNU-stack, "", @progbits
